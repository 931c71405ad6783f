// The gateway's HTTP behaviour (issue 4, "Deliver" lines 1-2): routing under an upstream's base,
// path-traversal refusal, the headers sent upstream and back, streamed bodies with a size limit,
// timeouts, an unreachable upstream, and the CSRF / session checks in front of all of it.
// Embedded store, reference auth service in-process (its JWTs carry `sub` = the user id).
import net from "node:net";
import { PassThrough, Readable } from "node:stream";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closedOrigin } from "../../helpers/free-port.js";
import {
  apiGet,
  bearerOf,
  patternBytes,
  rawGatewayGet as rawGatewayGetBase,
  sha256,
  signUp,
  startEchoUpstream,
  type EchoUpstream,
} from "../../helpers/gateway.js";
import { rawRequest as rawRequestBase } from "../../helpers/raw-http.js";
import {
  openedPasswordSession,
  startTestSessionServer,
  sleep,
  waitFor,
  type CookieClient,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const TIMEOUT_MS = 300;
const BODY_LIMIT = 600_000;

let echo: EchoUpstream;
let other: EchoUpstream;
let server: TestSessionServer;
let client: CookieClient;
let user: { id: string; email: string };
let host: string;

// Everything any response of this file carried, for the secrets check at the end.
const clients: CookieClient[] = [];
const rawResponses: string[] = [];
const jwts = new Set<string>();
const refreshTokens = new Set<string>();
const newClient = (): CookieClient => {
  const c = server.client();
  clients.push(c);
  return c;
};
const keep = <T extends { raw: string }>(response: T): T => {
  rawResponses.push(response.raw);
  return response;
};
const rawGatewayGet = (...args: Parameters<typeof rawGatewayGetBase>) => rawGatewayGetBase(...args).then(keep);
const rawRequest = (...args: Parameters<typeof rawRequestBase>) => rawRequestBase(...args).then(keep);

beforeAll(async () => {
  echo = await startEchoUpstream();
  other = await startEchoUpstream();
  server = await startTestSessionServer({
    env: {
      UPSTREAMS: `echo=${echo.origin}/base,other=${other.origin}/other,closed=${await closedOrigin()}/svc`,
      UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
      GATEWAY_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      ALLOWED_ORIGINS: "http://host.example",
    },
  });
  host = new URL(server.url).host;
  client = newClient();
  user = await signUp(client, "routing");
  refreshTokens.add((await openedPasswordSession(server, client.jar.get(server.config.cookieName)!)).refreshToken);
});

afterAll(async () => {
  await server?.close();
  await echo?.close();
  await other?.close();
});

beforeEach(() => {
  echo.reset();
  other.reset();
});

afterEach(() => {
  for (const request of [...echo.requests, ...other.requests]) if (request.headers.authorization) jwts.add(bearerOf(request));
});

const nothingReachedUpstreams = (): void => {
  expect(echo.arrivals).toBe(0);
  expect(other.arrivals).toBe(0);
};

/** Sends raw bytes and collects everything the server sends until it closes the connection. */
function readAll(origin: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    let text = "";
    socket.setTimeout(5_000, () => socket.destroy(new Error("no close within 5 s")));
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}

/** A POST with `Expect: 100-continue` that sends its body only after a `100 Continue` (as curl does, without its 1 s fallback). */
function expectContinue(cookie: string, path: string, body: string): Promise<{ interim: number | undefined; final: number }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nX-CSRF: 1\r\n${cookie ? `Cookie: ${cookie}\r\n` : ""}Content-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      );
    });
    let text = "";
    let interim: number | undefined;
    socket.setTimeout(5_000, () => socket.destroy(new Error("no answer within 5 s")));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (interim === undefined && /^HTTP\/1\.1 100 /.test(text) && text.includes("\r\n\r\n")) {
        interim = 100;
        text = text.slice(text.indexOf("\r\n\r\n") + 4);
        socket.write(body);
      }
    });
    socket.on("close", () => {
      const final = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (final) resolve({ interim, final: Number(final[1]) });
      else reject(new Error(`no final answer: ${text.slice(0, 200)}`));
    });
    socket.on("error", reject);
  });
}

function expectError(response: { status: number; body?: any; json?: any }, status: number, code: string): void {
  expect(response.status).toBe(status);
  const body = "json" in response ? response.json : response.body;
  expect(body).toMatchObject({ error: code, message: expect.any(String) });
}

describe("routing", () => {
  it("maps /api/<name>/<path>?<query> under the upstream's base, query byte for byte", async () => {
    const response = await apiGet(client, "/api/echo/x/y?q=1&r=%20");
    expect(response.status).toBe(200);
    expect(echo.requests).toHaveLength(1);
    expect(echo.requests[0]!.url).toBe("/base/x/y?q=1&r=%20");
    expect(echo.requests[0]!.method).toBe("GET");
    expect(response.body).toMatchObject({ ok: true, url: "/base/x/y?q=1&r=%20" });
    expect(other.arrivals).toBe(0);
  });

  it("also with a raw request target: encoded query characters are not re-encoded or decoded", async () => {
    const response = await rawGatewayGet(client, "/api/echo/a/b.json?x=%2F..%2F&y=%C3%A9&z=a+b");
    expect(response.status).toBe(200);
    expect(echo.requests.map((r) => r.url)).toEqual(["/base/a/b.json?x=%2F..%2F&y=%C3%A9&z=a+b"]);
  });

  it("the service root and a trailing slash map to the base itself", async () => {
    expect((await apiGet(client, "/api/echo")).status).toBe(200);
    expect((await apiGet(client, "/api/echo/")).status).toBe(200);
    expect((await apiGet(client, "/api/other/n")).status).toBe(200);
    expect(echo.requests.map((r) => r.url)).toEqual(["/base", "/base/"]);
    expect(other.requests.map((r) => r.url)).toEqual(["/other/n"]);
  });

  it("passes every method through", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const response = await client.request(method, "/api/echo/item", { n: 1 });
      expect(response.status, method).toBe(200);
    }
    expect(echo.requests.map((r) => `${r.method} ${r.url} ${r.body.toString()}`)).toEqual([
      'POST /base/item {"n":1}',
      'PUT /base/item {"n":1}',
      'PATCH /base/item {"n":1}',
      'DELETE /base/item {"n":1}',
    ]);
  });

  it("unknown service: 404 unknown_service, nothing forwarded", async () => {
    expectError(await apiGet(client, "/api/nope/x"), 404, "unknown_service");
    expectError(await apiGet(client, "/api/ECHO/x"), 404, "unknown_service");
    expectError(await apiGet(client, "/api/"), 404, "unknown_service");
    nothingReachedUpstreams();
  });
});

describe("path traversal and smuggling", () => {
  const TRICKS = [
    "/api/echo/../other/x",
    "/api/echo/..",
    "/api/echo/x/../../other/x",
    "/api/echo/./x",
    "/api/echo/%2e%2e/other/x",
    "/api/echo/%2E%2E/other/x",
    "/api/echo/.%2e/other/x",
    "/api/echo/%2e./other/x",
    "/api/echo/..%2fother%2fx",
    "/api/echo/..%2Fother",
    "/api/echo/x%2Fy",
    "/api/echo/..%5cother",
    "/api/echo/x%5Cy",
    "/api/echo/..\\other\\x",
    "/api/echo/x\\y",
    "/api/echo//evil.example/x",
    "/api/echo//x",
    "/api/echo/x//y",
    "/api/echo/%252e%252e/other/x",
    "/api/echo/%252f",
    // Servlet path parameters: Tomcat, Jetty and Spring cut `;…` off a segment, then read `..` or `.`.
    "/api/echo/..;/other/x",
    "/api/echo/..;jsessionid=1/other/x",
    "/api/echo/x/..;/..;/other",
    "/api/echo/.;/x",
    "/api/echo/x/;/y",
    // Overlong UTF-8, IIS %u escapes and broken percent-encodings.
    "/api/echo/%c0%ae%c0%ae/other/x",
    "/api/echo/%e0%80%ae%e0%80%ae/other",
    "/api/echo/x%c0%afy",
    "/api/echo/x%c1%9cy",
    "/api/echo/%u002e%u002e/other",
    "/api/echo/x%u2215y",
    "/api/echo/%ed%a0%80",
    "/api/echo/x%zzy",
    "/api/echo/x%e2%82",
    "/api/echo/x?q=%c0%ae%c0%ae",
    "/api/echo/x?q=%u002e",
  ];

  it.each(TRICKS)("%s: 400 bad_request, reaches no upstream", async (target) => {
    const response = await rawGatewayGet(client, target);
    expectError(response, 400, "bad_request");
    nothingReachedUpstreams();
  });

  const ABSOLUTE_FORM = ["http://evil.example/", "http://evil.example/api/echo/x", "http://127.0.0.1:1/api/echo/x"];
  const absoluteForm = (target: string) =>
    rawRequest(server.url, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nX-CSRF: 1\r\nCookie: ${client.cookieHeader()}`);

  it.each([...ABSOLUTE_FORM, "<self>"])("absolute-form request target GET %s: refused, reaches no upstream", async (target) => {
    const response = await absoluteForm(target === "<self>" ? `${server.url}/api/echo/x` : target);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await sleep(50);
    nothingReachedUpstreams();
  });

  // An absolute-form target (`GET http://host/… HTTP/1.1`) is refused as a whole, whatever it names.
  for (const target of [...ABSOLUTE_FORM, "<self>"]) {
    it(`absolute-form request target GET ${target}: 400 bad_request`, async () => {
      const response = await absoluteForm(target === "<self>" ? `${server.url}/api/echo/x` : target);
      expectError(response, 400, "bad_request");
    });
  }

  it.each(["//evil.example/api/echo/x", "//evil.example/x", "/API/echo/x", "/api%2fecho/x", "/api/%2e%2e/api/echo/x"])(
    "a target outside the /api/ prefix that resembles it (%s) is never proxied",
    async (target) => {
      const response = await rawGatewayGet(client, target);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      await sleep(50);
      nothingReachedUpstreams();
    },
  );

  it("a Host header naming another site changes nothing about where the call goes", async () => {
    const response = await rawRequest(
      server.url,
      `GET /api/echo/x HTTP/1.1\r\nHost: evil.example\r\nX-CSRF: 1\r\nCookie: ${client.cookieHeader()}`,
    );
    expect(response.status).toBe(200);
    expect(echo.requests.map((r) => r.url)).toEqual(["/base/x"]);
    expect(echo.requests[0]!.headers.host).toBe(`127.0.0.1:${echo.port}`);
  });

  it("servlet path parameters (..;/) cannot step outside the upstream's base: 400, nothing forwarded", async () => {
    for (const target of ["/api/echo/..;/secret", "/api/echo/x/..;/..;/secret"]) {
      const response = await rawGatewayGet(client, target);
      expectError(response, 400, "bad_request");
    }
    nothingReachedUpstreams();
    // A `;` inside an ordinary segment is a plain character and passes, byte for byte.
    expect((await rawGatewayGet(client, "/api/echo/a;b=1/c")).status).toBe(200);
    expect(echo.requests.map((r) => r.url)).toEqual(["/base/a;b=1/c"]);
  });

  it("overlong UTF-8 and %u encodings of dots and slashes are refused, never forwarded verbatim", async () => {
    for (const target of [
      "/api/echo/%c0%ae%c0%ae/secret",
      "/api/echo/%e0%80%ae",
      "/api/echo/%c0%af",
      "/api/echo/%c1%9c",
      "/api/echo/%u002e%u002e",
    ]) {
      const response = await rawGatewayGet(client, target);
      expectError(response, 400, "bad_request");
    }
    nothingReachedUpstreams();
    // Valid UTF-8 escapes still pass as sent.
    expect((await rawGatewayGet(client, "/api/echo/caf%C3%A9?q=%E2%82%AC")).status).toBe(200);
    expect(echo.requests.map((r) => r.url)).toEqual(["/base/caf%C3%A9?q=%E2%82%AC"]);
  });

  it("a refused path is refused before the session or a JWT is looked at", async () => {
    const fetchesBefore = server.running.jwtProvider.fetches;
    const anonymous = newClient();
    const response = await rawGatewayGet(anonymous, "/api/echo/%2e%2e/other");
    expectError(response, 400, "bad_request");
    expect(server.running.jwtProvider.fetches).toBe(fetchesBefore);
  });
});

describe("headers sent upstream", () => {
  it("Authorization: Bearer <a JWT the auth service signed for this user>; X-Forwarded-*", async () => {
    const response = await apiGet(client, "/api/echo/who");
    expect(response.status).toBe(200);
    const seen = echo.requests[0]!;
    const jwt = bearerOf(seen);
    const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", server.running.authServiceUrl));
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
      algorithms: ["RS256"],
      audience: "auth-elements",
      issuer: server.running.authServiceUrl,
    });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload.sub).toBe(user.id);
    expect(payload.exp! * 1000).toBeGreaterThan(Date.now());
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe(host);
    expect(seen.headers.host).toBe(`127.0.0.1:${echo.port}`);
  });

  it("strips the browser's Cookie, Authorization, X-CSRF, REFRESH-TOKEN and spoofed X-Forwarded-*; keeps other headers", async () => {
    const response = await client.get("/api/echo/strip", {
      headers: {
        "x-csrf": "1",
        cookie: `${client.cookieHeader()}; theme=dark`,
        authorization: "Basic dXNlcjpwYXNz",
        "refresh-token": "browser-supplied-refresh-token",
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "https",
        forwarded: "for=6.6.6.6;host=evil.example",
        "x-app-header": "kept",
        accept: "application/json",
      },
    });
    expect(response.status).toBe(200);
    const seen = echo.requests[0]!;
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers["x-csrf"]).toBeUndefined();
    expect(seen.headers["refresh-token"]).toBeUndefined();
    expect(seen.headers.forwarded).toBeUndefined();
    expect(seen.rawHeaders.filter((_, i) => i % 2 === 0 && seen.rawHeaders[i]!.toLowerCase() === "authorization")).toHaveLength(1);
    expect(seen.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-host"]).toBe(host);
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-app-header"]).toBe("kept");
    expect(seen.headers.accept).toBe("application/json");
    const everything = JSON.stringify(seen.rawHeaders);
    expect(everything).not.toContain("theme=dark");
    expect(everything).not.toContain(client.jar.get(server.config.cookieName)!);
    expect(everything).not.toContain("browser-supplied-refresh-token");
    expect(everything).not.toContain("dXNlcjpwYXNz");
    expect(everything).not.toContain("6.6.6.6");
  });

  it("strips hop-by-hop headers and every header named in Connection", async () => {
    const response = await rawGatewayGet(client, "/api/echo/hop", [
      "Keep-Alive: timeout=99",
      "TE: trailers, deflate",
      "Upgrade: h2c",
      "Proxy-Authorization: Basic cHJveHk6c2VjcmV0",
      "Proxy-Connection: keep-alive",
      "Trailer: X-Trailer",
      "X-Secret-Hop: must-not-pass",
      "X-Other-Hop: must-not-pass",
      "X-App-Header: kept",
      "Connection: close, X-Secret-Hop, x-other-hop",
    ]);
    expect(response.status).toBe(200);
    const seen = echo.requests[0]!;
    for (const name of [
      "keep-alive",
      "te",
      "upgrade",
      "proxy-authorization",
      "proxy-connection",
      "trailer",
      "x-secret-hop",
      "x-other-hop",
    ]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
    expect(String(seen.headers.connection ?? "")).not.toMatch(/x-secret-hop|x-other-hop|close/i);
    expect(JSON.stringify(seen.rawHeaders)).not.toContain("must-not-pass");
    expect(JSON.stringify(seen.rawHeaders)).not.toContain("cHJveHk6c2VjcmV0");
    expect(seen.headers["x-app-header"]).toBe("kept");
  });
});

describe("forwarding headers a client made up", () => {
  it("X-Forwarded-Port, -Prefix, -Server, -Ssl, -Scheme, -Uri, Forwarded and X-Real-IP from the client never reach the upstream", async () => {
    const spoofed = {
      "x-forwarded-port": "443",
      "x-forwarded-prefix": "/admin",
      "x-forwarded-server": "evil.example",
      "x-forwarded-ssl": "on",
      "x-forwarded-scheme": "https",
      "x-forwarded-uri": "/admin/delete",
      "x-forwarded-anything": "made-up",
      forwarded: "for=6.6.6.6;proto=https;host=evil.example",
      "x-real-ip": "6.6.6.6",
      "x-original-url": "/admin",
      "x-rewrite-url": "/admin",
    };
    const response = await apiGet(client, "/api/echo/forwarded", spoofed);
    expect(response.status).toBe(200);
    const seen = echo.requests[0]!;
    for (const name of Object.keys(spoofed)) expect(seen.headers[name], name).toBeUndefined();
    // Only the forwarding headers we vouch for, from the request context.
    const forwarding = Object.keys(seen.headers).filter((name) => name.startsWith("x-forwarded-") || name === "forwarded");
    expect(forwarding.sort()).toEqual(["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"]);
    expect(JSON.stringify(seen.rawHeaders)).not.toMatch(/6\.6\.6\.6|evil\.example|\/admin/);
  });
});

describe("informational answers and Expect", () => {
  it("an upstream 103 Early Hints is not passed on and the connection survives: a pipelined request after it is answered", async () => {
    const cookie = client.cookieHeader();
    const one = (path: string) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nX-CSRF: 1\r\nCookie: ${cookie}\r\n\r\n`;
    const answer = await readAll(
      server.url,
      one("/api/echo/early-hints") + one("/api/echo/after").replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"),
    );
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 200]);
    expect(echo.requests.map((r) => r.url)).toEqual(["/base/early-hints", "/base/after"]);
  });

  it("an unsolicited 100 Continue from the upstream is dropped: the final answer comes through, and a pipelined request after it is answered", async () => {
    // undici, the upstream client, destroys its connection on a 100 it did not ask for; the gateway's
    // upstream connections drop the 100 first (interim-responses.ts).
    const cookie = client.cookieHeader();
    const one = (path: string) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nX-CSRF: 1\r\nCookie: ${cookie}\r\n\r\n`;
    const answer = await readAll(
      server.url,
      one("/api/echo/continue") + one("/api/echo/after").replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"),
    );
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses, answer).toEqual([200, 200]);
    expect(answer).toContain('"url":"/base/continue"');
    expect(echo.requests.map((r) => r.url)).toEqual(["/base/continue", "/base/after"]);
    // The same upstream connection goes on serving: the next call is answered too.
    expect((await apiGet(client, "/api/echo/continue")).status).toBe(200);
  });

  it("Expect: 100-continue: 100 once the call is allowed, then the upstream's answer to the whole body", async () => {
    const body = JSON.stringify({ note: "held back until 100 Continue" });
    const answer = await expectContinue(client.cookieHeader(), "/api/echo/upload", body);
    expect(answer.interim).toBe(100);
    expect(answer.final).toBe(200);
    expect(echo.requests[0]!.body.toString()).toBe(body);
    expect(echo.requests[0]!.headers.expect).toBeUndefined();
  });

  it("Expect: 100-continue on a call that is refused (no session): 401 and no 100, the body never sent upstream", async () => {
    const answer = await expectContinue("", "/api/echo/upload", "{}");
    expect(answer.interim).toBeUndefined();
    expect(answer.final).toBe(401);
    nothingReachedUpstreams();
  });

  it("any other Expect value: 417 in the error shape", async () => {
    const response = await rawRequest(
      server.url,
      `POST /api/echo/x HTTP/1.1\r\nHost: ${host}\r\nX-CSRF: 1\r\nExpect: teapot\r\nContent-Length: 0`,
    );
    expectError(response, 417, "expectation_failed");
    nothingReachedUpstreams();
  });
});

describe("responses from upstream", () => {
  it("drops upstream Set-Cookie, keeps the other headers; the browser's session cookie is untouched", async () => {
    const cookieBefore = client.jar.get(server.config.cookieName);
    const response = await apiGet(client, "/api/echo/set-cookie");
    expect(response.status).toBe(200);
    expect(response.headers["set-cookie"]).toBeUndefined();
    expect(response.setCookie).toEqual([]);
    expect(response.header("x-upstream")).toBe("yes");
    expect(client.jar.get(server.config.cookieName)).toBe(cookieBefore);
    expect(client.jar.has("upstream")).toBe(false);
    expect((await client.get("/auth/session")).body.authenticated).toBe(true);
  });

  it("passes header values that are not ASCII on byte for byte (UTF-8 and lone latin1 bytes alike)", async () => {
    const response = await rawGatewayGet(client, "/api/echo/non-ascii-headers");
    expect(response.status).toBe(200);
    // `raw` is the answer read as latin1: one character per byte.
    expect(response.raw).toMatch(/\r\nx-utf8: caf\u00c3\u00a9\r\n/i);
    expect(response.raw).toMatch(/\r\nx-latin1: \u00e9\r\n/i);
    expect(response.headers["vary"]).toEqual(["Origin"]);
  });

  it("passes a redirect back (302 + Location) without following it", async () => {
    const response = await apiGet(client, "/api/echo/redirect");
    expect(response.status).toBe(302);
    expect(response.header("location")).toBe("/elsewhere");
    await sleep(100);
    expect(echo.requests.map((r) => r.url)).toEqual(["/base/redirect"]);
  });

  it("passes upstream statuses and bodies through (a 401 from an upstream does not end the session)", async () => {
    const response = await apiGet(client, "/api/echo/status/401");
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ upstreamStatus: 401 });
    expect(response.header("www-authenticate")).toBe('Bearer error="invalid_token"');
    const teapot = await apiGet(client, "/api/echo/status/418");
    expect(teapot.status).toBe(418);
    expect((await client.get("/auth/session")).body.authenticated).toBe(true);
  });

  it("upstream caching headers apply to a proxied answer; gateway errors are no-store", async () => {
    const ok = await apiGet(client, "/api/echo/cache");
    expect(ok.header("cache-control")).toBe("private, max-age=5");
    const missing = await apiGet(client, "/api/nope/x");
    expect(missing.header("cache-control")).toBe("no-store");
  });
});

describe("bodies", () => {
  it("a 512 KiB POST arrives intact (Content-Length)", async () => {
    const body = patternBytes(512 * 1024);
    const response = await client.post("/api/echo/upload", undefined, {
      raw: body,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(response.status).toBe(200);
    const seen = echo.requests[0]!;
    expect(seen.complete).toBe(true);
    expect(seen.body.length).toBe(body.length);
    expect(seen.bodySha256).toBe(sha256(body));
    expect(seen.headers["content-length"]).toBe(String(body.length));
    expect(seen.headers["content-type"]).toBe("application/octet-stream");
  });

  it("a chunked 512 KiB POST arrives intact", async () => {
    const body = patternBytes(512 * 1024);
    const response = await request(`${server.url}/api/echo/upload-chunked`, {
      method: "POST",
      headers: { "x-csrf": "1", cookie: client.cookieHeader(), "content-type": "application/octet-stream" },
      body: Readable.from(
        (async function* () {
          for (let offset = 0; offset < body.length; offset += 64 * 1024) yield body.subarray(offset, offset + 64 * 1024);
        })(),
        { objectMode: false },
      ),
    });
    await response.body.text();
    expect(response.statusCode).toBe(200);
    expect(echo.requests[0]!.bodySha256).toBe(sha256(body));
  });

  it("the request body is streamed: the upstream is called before the browser has sent it all", async () => {
    const stream = new PassThrough();
    const pending = request(`${server.url}/api/echo/stream-up`, {
      method: "POST",
      headers: { "x-csrf": "1", cookie: client.cookieHeader(), "content-type": "application/octet-stream" },
      body: stream,
    });
    stream.write(Buffer.alloc(32 * 1024, 1));
    const reached = await waitFor(async () => echo.arrivals > 0, 3_000, 20);
    stream.end(Buffer.alloc(32 * 1024, 2));
    const response = await pending;
    await response.body.text();
    expect(reached).toBe(true);
    expect(response.statusCode).toBe(200);
    expect(echo.requests[0]!.body.length).toBe(64 * 1024);
  });

  it("the response body is streamed: the first bytes arrive while the upstream is still writing", async () => {
    const response = await request(`${server.url}/api/echo/slow?chunks=6&delay=80&size=2048`, {
      headers: { "x-csrf": "1", cookie: client.cookieHeader() },
    });
    let firstAt = 0;
    let total = 0;
    for await (const chunk of response.body) {
      if (!firstAt) firstAt = Date.now();
      total += (chunk as Buffer).length;
    }
    expect(response.statusCode).toBe(200);
    expect(total).toBe(6 * 2048);
    expect(echo.lastSlowEndAt - firstAt).toBeGreaterThanOrEqual(250);
  });

  it("a 3 MiB response arrives intact", async () => {
    const response = await request(`${server.url}/api/echo/big?bytes=${3 * 1024 * 1024}`, {
      headers: { "x-csrf": "1", cookie: client.cookieHeader() },
    });
    const data = Buffer.from(await response.body.arrayBuffer());
    expect(response.statusCode).toBe(200);
    expect(data.length).toBe(3 * 1024 * 1024);
    expect(sha256(data)).toBe(sha256(patternBytes(3 * 1024 * 1024)));
  });

  it("exactly GATEWAY_BODY_LIMIT_BYTES passes", async () => {
    const response = await client.post("/api/echo/limit", undefined, {
      raw: Buffer.alloc(BODY_LIMIT, 7),
      headers: { "content-type": "application/octet-stream" },
    });
    expect(response.status).toBe(200);
    expect(echo.requests[0]!.body.length).toBe(BODY_LIMIT);
  });

  it("over the limit with Content-Length: 413 payload_too_large, the upstream never called", async () => {
    const response = await client.post("/api/echo/too-big", undefined, {
      raw: Buffer.alloc(BODY_LIMIT + 1, 7),
      headers: { "content-type": "application/octet-stream" },
    });
    expectError(response, 413, "payload_too_large");
    await sleep(50);
    nothingReachedUpstreams();
    expect((await apiGet(client, "/api/echo/after")).status).toBe(200);
  });

  it("over the limit chunked: 413 payload_too_large, the upstream never gets a complete body", async () => {
    const size = BODY_LIMIT + 100_000;
    const response = await request(`${server.url}/api/echo/too-big-chunked`, {
      method: "POST",
      headers: { "x-csrf": "1", cookie: client.cookieHeader(), "content-type": "application/octet-stream" },
      body: Readable.from(
        (async function* () {
          for (let sent = 0; sent < size; sent += 50_000) yield Buffer.alloc(50_000, 9);
        })(),
        { objectMode: false },
      ),
    });
    const text = await response.body.text();
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(text)).toMatchObject({ error: "payload_too_large" });
    await sleep(100);
    expect(echo.requests.filter((r) => r.complete)).toEqual([]);
    expect(echo.requests.every((r) => r.body.length <= BODY_LIMIT)).toBe(true);
    expect((await apiGet(client, "/api/echo/after")).status).toBe(200);
  });
});

describe("upstream failures", () => {
  it("a hung upstream: 504 upstream_timeout within UPSTREAM_TIMEOUT_MS plus slack", async () => {
    const started = Date.now();
    const response = await apiGet(client, "/api/echo/hang");
    const elapsed = Date.now() - started;
    expectError(response, 504, "upstream_timeout");
    expect(response.header("cache-control")).toBe("no-store");
    expect(echo.arrivals).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 500);
  });

  it("the timeout also holds after a request body (POST to a hung upstream: 504 in time)", async () => {
    const started = Date.now();
    const response = await client.post("/api/echo/hang", undefined, {
      raw: patternBytes(100_000),
      headers: { "content-type": "application/octet-stream" },
    });
    expectError(response, 504, "upstream_timeout");
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
  });

  it("a slow upload longer than UPSTREAM_TIMEOUT_MS is not cut: the wait counts from the end of the body", async () => {
    const response = await request(`${server.url}/api/echo/slow-upload`, {
      method: "POST",
      headers: { "x-csrf": "1", cookie: client.cookieHeader(), "content-type": "application/octet-stream" },
      body: Readable.from(
        (async function* () {
          for (let i = 0; i < 4; i++) {
            if (i > 0) await sleep(150);
            yield Buffer.alloc(1000, i);
          }
        })(),
        { objectMode: false },
      ),
    });
    await response.body.text();
    expect(response.statusCode).toBe(200);
    expect(echo.requests[0]!.body.length).toBe(4000);
  });

  it("an unreachable upstream (closed port): 502 upstream_unavailable, fast", async () => {
    const started = Date.now();
    const response = await apiGet(client, "/api/closed/x");
    expectError(response, 502, "upstream_unavailable");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(response.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/i);
  });
});

describe("CSRF and session checks", () => {
  it("every /api call without X-CSRF: 1 gets 403 csrf_rejected, GET included", async () => {
    expectError(await client.get("/api/echo/x"), 403, "csrf_rejected");
    expectError(await client.get("/api/echo/x", { headers: { "x-csrf": "0" } }), 403, "csrf_rejected");
    expect((await client.request("HEAD", "/api/echo/x")).status).toBe(403);
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      expectError(await client.request(method, "/api/echo/x", { a: 1 }, { headers: { "x-csrf": undefined } }), 403, "csrf_rejected");
    }
    expectError(await client.get("/api/nope/x"), 403, "csrf_rejected");
    nothingReachedUpstreams();
  });

  it("a disallowed Origin (or Origin: null, or Sec-Fetch-Site: cross-site) gets 403, even with X-CSRF", async () => {
    for (const headers of [
      { origin: "http://evil.example" },
      { origin: "null" },
      { origin: "http://host.example.evil" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ]) {
      expectError(await apiGet(client, "/api/echo/x", headers), 403, "csrf_rejected");
      expectError(await client.post("/api/echo/x", { a: 1 }, { headers }), 403, "csrf_rejected");
    }
    nothingReachedUpstreams();
  });

  it("the server's own origin and an allowed origin pass (the allowed one with exact CORS headers)", async () => {
    expect((await apiGet(client, "/api/echo/x", { origin: server.url })).status).toBe(200);
    const cors = await apiGet(client, "/api/echo/x", { origin: "http://host.example" });
    expect(cors.status).toBe(200);
    expect(cors.header("access-control-allow-origin")).toBe("http://host.example");
    expect(cors.header("access-control-allow-credentials")).toBe("true");
    expect(cors.header("vary")).toMatch(/origin/i);
  });

  it("a preflight never grants Cookie, Authorization or REFRESH-TOKEN as request headers", async () => {
    const response = await client.request("OPTIONS", "/api/echo/x", undefined, {
      headers: {
        origin: "http://host.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-csrf, content-type, authorization, cookie, refresh-token",
      },
    });
    expect(response.status).toBe(204);
    const allowed = String(response.header("access-control-allow-headers")).toLowerCase();
    expect(allowed).toContain("x-csrf");
    expect(allowed).not.toMatch(/authorization|cookie|refresh-token/);
    nothingReachedUpstreams();
  });

  it("without a session: 401 unauthenticated (no cookie, a forged cookie, a logged-out cookie)", async () => {
    expectError(await apiGet(newClient(), "/api/echo/x"), 401, "unauthenticated");
    const forged = newClient();
    forged.jar.set(server.config.cookieName, "s%3Aforged.c2lnbmF0dXJl");
    expectError(await apiGet(forged, "/api/echo/x"), 401, "unauthenticated");

    const leaver = newClient();
    await signUp(leaver, "leaver");
    expect((await apiGet(leaver, "/api/echo/x")).status).toBe(200);
    const cookie = leaver.jar.get(server.config.cookieName)!;
    expect((await leaver.post("/auth/logout")).status).toBe(204);
    leaver.jar.set(server.config.cookieName, cookie);
    expectError(await apiGet(leaver, "/api/echo/x"), 401, "unauthenticated");
    expect(echo.arrivals).toBe(1);
  });
});

describe("secrets", () => {
  it("no response (raw or not), header or log line of this file carried the refresh token or a JWT", () => {
    expect(jwts.size).toBeGreaterThan(0);
    expect(refreshTokens.size).toBe(1);
    const secrets = [...refreshTokens, ...jwts, ...[...jwts].map((jwt) => jwt.split(".")[2]!)];
    const seen = [
      ...clients.flatMap((c) => c.history.map((h) => `${h.response.text}\n${JSON.stringify(h.response.headers)}`)),
      ...rawResponses,
      server.logs(),
    ];
    expect(seen.length).toBeGreaterThan(50);
    for (const secret of secrets) for (const text of seen) expect(text.includes(secret)).toBe(false);
  });
});
