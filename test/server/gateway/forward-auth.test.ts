// Forward auth (security.md 36): `GET /auth/verify` on the internal FORWARD_AUTH_PORT listener answers
// a reverse proxy with the session's JWT in a header, never in a body, under the /api rules for
// sessions, CSRF and store outages; the public port has no such route. First the listener as a
// proxy sees it, then end to end behind a real nginx (`auth_request`) in front of an upstream that
// trusts nothing but a JWT the auth service's JWKS verifies.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { signUp } from "../../helpers/gateway.js";
import { forwardAuthConfig, startNginx, type Nginx } from "../../helpers/nginx.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  expectStoreUnavailable,
  cookieIdOf,
  startTestSessionServer,
  timed,
  waitFor,
  type CookieClient,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

interface UpstreamCall {
  method: string;
  url: string;
  /** The verified JWT's claims, or the reason it did not verify. */
  claims: JWTPayload | { invalid: string };
  user: string | undefined;
  email: string | undefined;
}

/** An upstream that, like the demo's notes service, accepts nothing but a bearer JWT the JWKS verifies. */
async function startJwtCheckingUpstream(
  authServiceUrl: string,
): Promise<{ origin: string; calls: UpstreamCall[]; close(): Promise<void> }> {
  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", authServiceUrl));
  const calls: UpstreamCall[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    const verified = token
      ? jwtVerify(token, jwks, { algorithms: ["RS256"], audience: "auth-elements" }).then(
          ({ payload }) => payload,
          (error: Error) => ({ invalid: error.message }),
        )
      : Promise.resolve({ invalid: "no bearer token" });
    void verified.then((claims) => {
      const header = (name: string): string | undefined => req.headers[name] as string | undefined;
      calls.push({
        method: req.method!,
        url: req.url!,
        claims,
        user: header("x-auth-request-user"),
        email: header("x-auth-request-email"),
      });
      const ok = !("invalid" in claims);
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? { sub: claims.sub } : { error: "invalid_token" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Nothing of a token in an answer: no bearer, no JWT-looking text in the body. */
function expectNoTokenInBody(response: TestResponse): void {
  expect(response.text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  expect(response.text).not.toMatch(/bearer/i);
}

let redis: RedisServer;
let server: TestSessionServer;
let upstream: Awaited<ReturnType<typeof startJwtCheckingUpstream>>;
let nginx: Nginx;

beforeAll(async () => {
  redis = await startRedisServer();
  // TRUST_PROXY=loopback: nginx, on this machine, describes the original request's scheme and host.
  server = await startTestSessionServer({ redisUrl: redis.url, env: { FORWARD_AUTH_PORT: "0", TRUST_PROXY: "loopback" } });
  upstream = await startJwtCheckingUpstream(server.running.authServiceUrl);
  nginx = await startNginx((port) =>
    forwardAuthConfig({ port, verifyOrigin: server.running.forwardAuthUrl!, upstreamOrigin: upstream.origin }),
  );
});
afterAll(async () => {
  await nginx?.stop();
  await upstream?.close();
  await server?.close();
  await redis?.stop();
});

/** The signed-in browser `client`, as the proxy relays it to the verify listener. */
const verifier = (client: CookieClient): CookieClient => client.at(server.running.forwardAuthUrl!);

describe("the verify listener", () => {
  it("the public port has no /auth/verify: 404 for every method, signed in or not", async () => {
    const client = server.client();
    await signUp(client, "fa-public");
    for (const method of ["GET", "HEAD", "POST"]) {
      for (const c of [client, server.client()]) {
        const response = await c.request(method, "/auth/verify");
        expect(response.status).toBe(404);
        expect(response.header("authorization")).toBeUndefined();
        expect(response.header("x-auth-request-user")).toBeUndefined();
      }
    }
  });

  it("security 36: signed in: 200 with a Bearer JWT the auth service's JWKS verifies, the user's id and e-mail, and an empty body", async () => {
    const client = server.client();
    const user = await signUp(client, "fa-ok");
    const response = await verifier(client).get("/auth/verify", { headers: { "x-forwarded-method": "GET", "x-forwarded-uri": "/notes" } });
    expect(response.status).toBe(200);
    expect(response.text).toBe("");
    expect(response.header("cache-control")).toBe("no-store");
    expect(response.header("x-auth-request-user")).toBe(user.id);
    expect(response.header("x-auth-request-email")).toBe(user.email);
    const token = /^Bearer (\S+)$/.exec(response.header("authorization") ?? "")![1]!;
    const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", server.running.authServiceUrl));
    const { payload } = await jwtVerify(token, jwks, { algorithms: ["RS256"], audience: "auth-elements" });
    expect(payload.exp! * 1000).toBeGreaterThan(Date.now());
    // The session is untouched by it: still signed in, no cookie set.
    expect(response.setCookie).toEqual([]);
    expect((await client.get("/auth/session")).body.authenticated).toBe(true);
  });

  it("security 36: no cookie, a forged cookie or an ended session: 401 unauthenticated, and no token in the answer", async () => {
    const client = server.client();
    await signUp(client, "fa-401");
    const cookie = client.cookieHeader();
    const sid = cookieIdOf(client.jar.values().next().value!);
    const forged = cookie.replace(/\.[^.;]+$/, ".forgedsignature");
    expect((await client.post("/auth/logout")).status).toBe(204);
    for (const headers of [{}, { cookie: forged }, { cookie }, { cookie: `auth.sid=${sid}` }]) {
      const response = await server.client().at(server.running.forwardAuthUrl!).get("/auth/verify", { headers });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: "unauthenticated", message: expect.any(String) });
      expect(response.header("authorization")).toBeUndefined();
      expect(response.header("x-auth-request-user")).toBeUndefined();
      expectNoTokenInBody(response);
    }
  });

  it("security 36: an unsafe original method needs X-CSRF: 1 and an allowed Origin (else 403), a safe one neither", async () => {
    const client = server.client();
    await signUp(client, "fa-csrf");
    const own = new URL(server.running.forwardAuthUrl!).origin;
    const cases: Array<[string, Record<string, string>, number]> = [
      ["GET", {}, 200],
      ["HEAD", {}, 200],
      ["OPTIONS", {}, 200],
      ["GET", { origin: "https://evil.example" }, 200],
      ["POST", {}, 403],
      ["PUT", { "x-csrf": "0" }, 403],
      ["DELETE", { "x-csrf": "1", origin: "https://evil.example" }, 403],
      ["PATCH", { "x-csrf": "1", origin: "null" }, 403],
      ["POST", { "x-csrf": "1", "sec-fetch-site": "cross-site" }, 403],
      ["POST", { "x-csrf": "1" }, 200],
      ["post", { "x-csrf": "1", origin: own }, 200],
      ["DELETE", { "x-csrf": "1", "sec-fetch-site": "same-origin" }, 200],
    ];
    for (const [method, headers, status] of cases) {
      const response = await verifier(client).get("/auth/verify", { headers: { "x-forwarded-method": method, ...headers } });
      expect({ method, headers, status: response.status }).toEqual({ method, headers, status });
      if (status === 403) {
        expect(response.body.error).toBe("csrf_rejected");
        expect(response.header("authorization")).toBeUndefined();
        expectNoTokenInBody(response);
      }
    }
  });

  it("Envoy ext_authz: the original method and path arrive as the request's own, under the same rules", async () => {
    const client = server.client();
    await signUp(client, "fa-envoy");
    const at = verifier(client);
    expect((await at.request("GET", "/auth/verify/api/notes?x=1")).status).toBe(200);
    const refused = await at.request("DELETE", "/auth/verify/api/notes/1", undefined, { headers: { "x-csrf": undefined } });
    expect(refused.status).toBe(403);
    const allowed = await at.request("DELETE", "/auth/verify/api/notes/1");
    expect(allowed.status).toBe(200);
    expect(allowed.header("authorization")).toMatch(/^Bearer /);
  });

  it("a malformed X-Forwarded-Method is 400 bad_request; any other path on the listener is 404", async () => {
    const client = server.client();
    await signUp(client, "fa-bad");
    const at = verifier(client);
    for (const method of ["", "GET POST", "G\u00e9T", "GET;"]) {
      const response = await at.get("/auth/verify", { headers: { "x-forwarded-method": method } });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe("bad_request");
    }
    for (const path of ["/auth/session", "/auth/verifyx", "/api/notes", "/metrics", "/healthz", "/"]) {
      const response = await at.get(path);
      expect(response.status).toBe(404);
      expect(response.header("authorization")).toBeUndefined();
    }
  });

  it("security 36: 30 concurrent first verifies of one session make exactly one JWT request", async () => {
    const client = server.client();
    await signUp(client, "fa-flight");
    const before = server.running.jwtProvider.fetches;
    const answers = await Promise.all(Array.from({ length: 30 }, () => verifier(client).get("/auth/verify")));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(new Set(answers.map((answer) => answer.header("authorization"))).size).toBe(1);
    expect(server.running.jwtProvider.fetches - before).toBe(1);
  });

  it("security 36: the store down: 503 session_store_unavailable within a second, never 401 and never a token; back by itself", async () => {
    const client = server.client();
    await signUp(client, "fa-store");
    await redis.kill();
    try {
      for (let i = 0; i < 3; i++) {
        const { response, ms } = await timed(() => verifier(client).get("/auth/verify"));
        expectStoreUnavailable(response);
        expect(response.header("authorization")).toBeUndefined();
        expect(ms).toBeLessThan(1000);
      }
    } finally {
      await redis.restart();
    }
    // The restarted Redis is empty (no persistence): the session is gone, and the answer is a plain 401.
    expect(await waitFor(async () => (await verifier(client).get("/auth/verify")).status === 401, 5_000)).toBe(true);
    const again = server.client();
    await signUp(again, "fa-store-back");
    expect((await verifier(again).get("/auth/verify")).status).toBe(200);
  });
});

describe("the auth service failing", () => {
  let legacy: LegacyAuthService;
  let faulty: TestSessionServer;
  beforeAll(async () => {
    legacy = await startLegacyAuthService();
    faulty = await startTestSessionServer({ authService: legacy.url, env: { FORWARD_AUTH_PORT: "0" } });
  });
  afterAll(async () => {
    await faulty?.close();
    await legacy?.close();
  });

  it("security 36: a transient failure on the JWT request is 503 and keeps the session; a refused refresh token is 401 session_expired and ends it", async () => {
    const client = faulty.client();
    await signUp(client, "fa-legacy");
    const at = client.at(faulty.running.forwardAuthUrl!);
    legacy.fault = { status: 500, only: "jwt" };
    const transient = await at.get("/auth/verify");
    expect(transient.status).toBe(503);
    expect(transient.header("authorization")).toBeUndefined();
    expectNoTokenInBody(transient);
    expect((await client.get("/auth/session")).body.authenticated).toBe(true);

    legacy.fault = {};
    legacy.revokeAllTokens();
    const refused = await at.get("/auth/verify");
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe("session_expired");
    expect((await client.get("/auth/session")).body).toEqual({ authenticated: false });
  });
});

describe("behind a real nginx (auth_request)", () => {
  /** A request through nginx with the browser's cookies, as the browser sends it. */
  function throughNginx(client: CookieClient, method: string, path: string, headers: Record<string, string> = {}) {
    return request(`${nginx.url}${path}`, {
      method: method as "GET",
      headers: { ...(client.jar.size > 0 && { cookie: client.cookieHeader() }), ...headers },
    }).then(async (response) => ({ status: response.statusCode, text: await response.body.text() }));
  }

  it("signed in: the upstream gets a JWT the auth service's JWKS verifies, with the user's id and e-mail", async () => {
    const client = server.client();
    const user = await signUp(client, "fa-nginx");
    const before = upstream.calls.length;
    const answer = await throughNginx(client, "GET", "/notes?page=2");
    expect(answer.status).toBe(200);
    const call = upstream.calls[before]!;
    expect(call).toMatchObject({ method: "GET", url: "/notes?page=2", user: user.id, email: user.email });
    expect(call.claims).not.toHaveProperty("invalid");
    expect(JSON.parse(answer.text)).toEqual({ sub: (call.claims as JWTPayload).sub });
    // An unsafe call from the page itself (same origin, X-CSRF: 1) passes too.
    const post = await throughNginx(client, "POST", "/notes", { "x-csrf": "1", origin: nginx.url });
    expect(post.status).toBe(200);
    expect(upstream.calls.at(-1)).toMatchObject({ method: "POST", user: user.id });
  });

  it("signed out: 401, and the upstream is never called", async () => {
    const before = upstream.calls.length;
    expect((await throughNginx(server.client(), "GET", "/notes")).status).toBe(401);
    expect(upstream.calls.length).toBe(before);
  });

  it("logout: the very next request through nginx is 401", async () => {
    const client = server.client();
    await signUp(client, "fa-nginx-logout");
    expect((await throughNginx(client, "GET", "/notes")).status).toBe(200);
    const cookie = client.cookieHeader();
    expect((await client.post("/auth/logout")).status).toBe(204);
    const before = upstream.calls.length;
    const after = await request(`${nginx.url}/notes`, { headers: { cookie } });
    await after.body.text();
    expect(after.statusCode).toBe(401);
    expect(upstream.calls.length).toBe(before);
  });

  it("an unsafe request without X-CSRF, or from another site, is 403 and never reaches the upstream", async () => {
    const client = server.client();
    await signUp(client, "fa-nginx-csrf");
    const before = upstream.calls.length;
    expect((await throughNginx(client, "POST", "/notes")).status).toBe(403);
    expect((await throughNginx(client, "DELETE", "/notes/1", { "x-csrf": "1", origin: "https://evil.example" })).status).toBe(403);
    expect(upstream.calls.length).toBe(before);
  });

  it("the session store down: nginx answers 500 (verify said 503) and the upstream is never called; back by itself", async () => {
    const client = server.client();
    await signUp(client, "fa-nginx-store");
    expect((await throughNginx(client, "GET", "/notes")).status).toBe(200);
    const before = upstream.calls.length;
    await redis.kill();
    try {
      const { ms, status } = await (async () => {
        const started = performance.now();
        const answer = await throughNginx(client, "GET", "/notes");
        return { ms: performance.now() - started, status: answer.status };
      })();
      expect(status).toBe(500);
      expect(ms).toBeLessThan(1500);
      expect(upstream.calls.length).toBe(before);
    } finally {
      await redis.restart();
    }
    // The client reconnects by itself (backoff up to a second); a new sign-in then works through nginx.
    const fresh = server.client();
    expect(await waitFor(async () => Boolean(await signUp(fresh, "fa-nginx-back")), 5_000)).toBe(true);
    expect((await throughNginx(fresh, "GET", "/notes")).status).toBe(200);
  });
});
