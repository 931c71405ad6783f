// TRUST_PROXY means one thing on every path (security.md 34): the /auth routes, the session check,
// the gateway and forward auth (the internal FORWARD_AUTH_PORT listener) all take the scheme, the
// origin and the client address from the request context,
// which applies Express's `trust proxy` semantics exactly. Every test client connects from 127.0.0.1,
// so a setting trusts the test's forwarded headers exactly when it trusts that peer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiGet, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { PASSWORD, startTestSessionServer, uniqueEmail, type TestSessionServer } from "../../helpers/session-server.js";

/** [label, TRUST_PROXY value, whether the peer 127.0.0.1 is a trusted proxy under it]. */
const SETTINGS: Array<[string, string | undefined, boolean]> = [
  ["unset", undefined, false],
  ["false", "false", false],
  ["0", "0", false],
  ["1", "1", true],
  ["loopback", "loopback", true],
  ["an address that is not the peer (10.0.0.1)", "10.0.0.1", false],
  ["a subnet holding the peer (127.0.0.0/8)", "127.0.0.0/8", true],
  ["a subnet not holding the peer (10.0.0.0/8)", "10.0.0.0/8", false],
];

/** What a client that is not the proxy might send to choose the scheme, origin and address. */
const SPOOFED = { "x-forwarded-proto": "https", "x-forwarded-host": "spoofed.example", "x-forwarded-for": "9.9.9.9" };

let echo: EchoUpstream;
beforeAll(async () => {
  echo = await startEchoUpstream();
});
afterAll(async () => {
  await echo.close();
});

describe.each(SETTINGS)("TRUST_PROXY %s", (_label, trustProxy, trusted) => {
  let server: TestSessionServer;
  beforeAll(async () => {
    server = await startTestSessionServer({
      env: { TRUST_PROXY: trustProxy, UPSTREAMS: `echo=${echo.origin}/base`, RATE_LIMIT_ADDRESS_FAILURES: "3", FORWARD_AUTH_PORT: "0" },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("/auth routes: the CSRF check's own origin follows X-Forwarded-Host and -Proto exactly when the peer is a trusted proxy", async () => {
    const response = await server.client().post("/auth/logout", undefined, {
      headers: { ...SPOOFED, origin: "https://spoofed.example" },
    });
    expect(response.status).toBe(trusted ? 204 : 403);
  });

  it("session check: a preflight's same-origin test follows the forwarded host exactly when the peer is a trusted proxy", async () => {
    const response = await server.client().request("OPTIONS", "/auth/session", undefined, {
      headers: { ...SPOOFED, origin: "https://spoofed.example", "access-control-request-method": "GET" },
    });
    expect(response.status).toBe(trusted ? 204 : 403);
  });

  it("gateway: the upstream receives the forwarded scheme, host and address chain only from a trusted proxy, else the socket's", async () => {
    const client = server.client();
    expect((await client.post("/auth/signup", { email: uniqueEmail("ctx"), password: PASSWORD })).status).toBe(201);
    echo.reset();
    const response = await apiGet(client, "/api/echo/context", SPOOFED);
    expect(response.status).toBe(200);
    const seen = echo.requests[0]!.headers;
    const host = new URL(server.url).host;
    expect({ proto: seen["x-forwarded-proto"], host: seen["x-forwarded-host"], for: seen["x-forwarded-for"] }).toEqual(
      trusted ? { proto: "https", host: "spoofed.example", for: "9.9.9.9, 127.0.0.1" } : { proto: "http", host, for: "127.0.0.1" },
    );
  });

  it("gateway: the CSRF check's own origin follows the forwarded host exactly when the peer is a trusted proxy", async () => {
    const client = server.client();
    expect((await client.post("/auth/signup", { email: uniqueEmail("ctx"), password: PASSWORD })).status).toBe(201);
    const response = await client.post("/api/echo/context", { x: 1 }, { headers: { ...SPOOFED, origin: "https://spoofed.example" } });
    expect(response.status).toBe(trusted ? 200 : 403);
  });

  it("forward auth: an unsafe original method's origin check follows X-Forwarded-Host and -Proto exactly when the peer is a trusted proxy", async () => {
    const client = server.client();
    expect((await client.post("/auth/signup", { email: uniqueEmail("ctx"), password: PASSWORD })).status).toBe(201);
    const response = await client.at(server.running.forwardAuthUrl!).get("/auth/verify", {
      headers: { ...SPOOFED, origin: "https://spoofed.example", "x-forwarded-method": "POST", "x-csrf": "1" },
    });
    expect(response.status).toBe(trusted ? 200 : 403);
  });

  // Last: it spends the address's failure budget, which signups share.
  it("/auth routes: the rate-limit address is the forwarded client behind a trusted proxy, else the peer whatever X-Forwarded-For says", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await server.client().post(
        "/auth/login",
        { email: uniqueEmail("ctx"), password: "wrong password" },
        {
          headers: { "x-forwarded-for": `9.9.${i}.9` },
        },
      );
      statuses.push(response.status);
    }
    // Five addresses with one failure each, or one address with five failures against a limit of 3.
    expect(statuses).toEqual(trusted ? [401, 401, 401, 401, 401] : [401, 401, 401, 429, 429]);
  });
});
