// The README's nginx configuration, run by a real nginx (Debian's) in front of the session server with
// TRUST_PROXY=1 (security.md 12, 34; the outside attack run's finding 4): failed logins sent with a
// made-up X-Forwarded-For each time are still counted against the one address nginx saw, so the
// per-address lockout holds; and sign-in, the session check and the gateway work through it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { nginxSnippet, serverConfig, startNginx, type Nginx } from "../../helpers/nginx.js";
import { PASSWORD, startTestSessionServer, uniqueEmail, type TestSessionServer } from "../../helpers/session-server.js";

const README = readFileSync(path.resolve(import.meta.dirname, "../../../README.md"), "utf8");
const ADDRESS_FAILURES = 5;

let echo: EchoUpstream;
let server: TestSessionServer;
let nginx: Nginx;

beforeAll(async () => {
  echo = await startEchoUpstream();
  server = await startTestSessionServer({
    env: { TRUST_PROXY: "1", RATE_LIMIT_ADDRESS_FAILURES: String(ADDRESS_FAILURES), UPSTREAMS: `echo=${echo.origin}/base` },
  });
  nginx = await startNginx((port) => serverConfig(port, nginxSnippet(README, "## Deployment", server.url)));
});
afterAll(async () => {
  await nginx?.stop();
  await server?.close();
  await echo?.close();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await request(nginx.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf": "1", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

describe("behind the README's nginx configuration, TRUST_PROXY=1", () => {
  it("sign-in, the session check and the gateway work through nginx", async () => {
    const signup = await post("/auth/signup", { email: uniqueEmail("nginx"), password: PASSWORD });
    expect(signup.status).toBe(201);
    const cookie = String(signup.headers["set-cookie"]).split(";")[0]!;
    const check = await request(`${nginx.url}/auth/session`, { headers: { cookie } });
    expect(await check.body.json()).toMatchObject({ authenticated: true });
    const api = await request(`${nginx.url}/api/echo/x`, { headers: { cookie, "x-csrf": "1", "x-forwarded-for": "9.9.9.9" } });
    expect(api.statusCode).toBe(200);
    await api.body.text();
    // The upstream sees nginx's view of the client, not the address the client made up.
    expect(echo.requests.at(-1)!.headers["x-forwarded-for"]).toBe("127.0.0.1, 127.0.0.1");
  });

  it("failed logins with a new made-up X-Forwarded-For each time still reach the per-address lockout (429 with Retry-After)", async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < ADDRESS_FAILURES + 3; i++) {
      const response = await post(
        "/auth/login",
        { email: uniqueEmail("spoof"), password: "wrong password" },
        { "x-forwarded-for": `9.9.9.${i}` },
      );
      statuses.push(response.status);
      if (response.status === 429) retryAfter = String(response.headers["retry-after"]);
    }
    expect(statuses).toEqual([...Array(ADDRESS_FAILURES).fill(401), 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
