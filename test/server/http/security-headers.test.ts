// Issue 6, security headers and TLS termination (security 26, with 1): helmet's headers on the
// server's own responses (nosniff, Referrer-Policy, CSP frame-ancestors 'none', X-Frame-Options),
// `no-store` on authenticated answers, HSTS only when the cookie is Secure (HTTPS); and TRUST_PROXY:
// behind a TLS-terminating proxy (TRUST_PROXY=1, X-Forwarded-Proto: https) the production cookie is
// Secure with the `__Host-` name, while without TRUST_PROXY a spoofed X-Forwarded-Proto is not believed.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  PASSWORD,
  parseSetCookie,
  startTestSessionServer,
  uniqueEmail,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

let redis: RedisServer;
let legacy: LegacyAuthService;
beforeAll(async () => {
  redis = await startRedisServer();
  legacy = await startLegacyAuthService();
});
afterAll(async () => {
  await legacy?.close();
  await redis?.stop();
});

function expectHelmet(response: TestResponse, where: string): void {
  expect(response.header("x-content-type-options"), where).toBe("nosniff");
  expect(response.header("referrer-policy"), where).toBe("no-referrer");
  expect(response.header("content-security-policy"), where).toMatch(/(^|;)\s*frame-ancestors 'none'/);
  expect(response.header("content-security-policy"), where).toMatch(/(^|;)\s*default-src 'none'/);
  expect(response.header("x-frame-options"), where).toBe("DENY");
  expect(response.header("x-powered-by"), where).toBeUndefined();
}

describe("security 26: security headers on the server's own responses", () => {
  let server: TestSessionServer;
  beforeAll(async () => {
    server = await startTestSessionServer({ redisUrl: redis.url, authService: legacy.url });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("nosniff, Referrer-Policy, frame-ancestors 'none' on every kind of answer; no-store when authenticated; no HSTS over plain HTTP", async () => {
    const c = server.client();
    const email = uniqueEmail("headers");
    const answers: Array<[string, TestResponse]> = [
      ["anonymous session check", await c.get("/auth/session")],
      ["healthz", await c.get("/healthz")],
      ["readyz", await c.get("/readyz")],
      ["signup", await c.post("/auth/signup", { email, password: PASSWORD })],
      ["authenticated session check", await c.get("/auth/session")],
      ["login", await c.post("/auth/login", { email, password: PASSWORD })],
      ["failed login", await server.client().post("/auth/login", { email, password: "wrong password" })],
      ["not found", await c.get("/nothing-here")],
      ["method not allowed", await c.request("PUT", "/auth/login")],
      ["csrf rejected", await c.post("/auth/logout", undefined, { headers: { "x-csrf": undefined } })],
      ["logout", await c.post("/auth/logout")],
    ];
    for (const [where, response] of answers) {
      expectHelmet(response, where);
      expect(response.header("strict-transport-security"), where).toBeUndefined();
    }
    for (const where of ["signup", "authenticated session check", "login"]) {
      const response = answers.find(([name]) => name === where)![1];
      expect(response.status, where).toBeLessThan(300);
      expect(response.header("cache-control"), where).toBe("no-store");
    }
  });

  const head = (response: TestResponse) => {
    const { date: _date, ...headers } = response.headers;
    return headers;
  };

  it("a same-origin session check (one writeHead from a fixed head) gets header for header the head of a cross-origin one without CORS, signed in or not, GET and HEAD alike", async () => {
    const c = server.client();
    for (const signedIn of [false, true]) {
      if (signedIn) expect((await c.post("/auth/signup", { email: uniqueEmail("head"), password: PASSWORD })).status).toBe(201);
      const sameOrigin = await c.get("/auth/session");
      const crossOrigin = await c.get("/auth/session", { headers: { origin: "https://not-allowed.example" } });
      expect(sameOrigin.status).toBe(200);
      expect(JSON.parse(sameOrigin.text).authenticated).toBe(signedIn);
      expect(head(sameOrigin)).toEqual(head(crossOrigin));
      expectHelmet(sameOrigin, "same-origin session check");
      expect(sameOrigin.header("cache-control")).toBe("no-store");
      expect(sameOrigin.header("vary")).toBe("Origin");
      expect(sameOrigin.header("content-type")).toBe("application/json; charset=utf-8");
      expect(Number(sameOrigin.header("content-length"))).toBe(Buffer.byteLength(sameOrigin.text));
      // HEAD: the same head without a body (undici asks to close after a HEAD, so compare HEAD with HEAD).
      const headOnly = await c.request("HEAD", "/auth/session");
      const crossOriginHead = await c.request("HEAD", "/auth/session", undefined, { headers: { origin: "https://not-allowed.example" } });
      expect(headOnly.text).toBe("");
      expect(head(headOnly)).toEqual(head(crossOriginHead));
      expect(headOnly.header("content-length")).toBe(sameOrigin.header("content-length"));
    }
  });
});

describe("security 26 and TRUST_PROXY: HTTPS behind a TLS-terminating proxy", () => {
  const secret = randomBytes(32).toString("base64url");
  const production = (env: Record<string, string | undefined>) =>
    startTestSessionServer({
      redisUrl: redis.url,
      authService: legacy.url,
      sessionSecret: secret,
      env: { NODE_ENV: "production", ...env },
    });

  it("HSTS with a year's max-age and includeSubDomains when COOKIE_SECURE is on (TRUST_PROXY=1, X-Forwarded-Proto: https)", async () => {
    const server = await startTestSessionServer({
      redisUrl: redis.url,
      authService: legacy.url,
      env: { COOKIE_SECURE: "true", TRUST_PROXY: "1" },
    });
    try {
      const c = server.client({ headers: { "x-forwarded-proto": "https" } });
      for (const response of [
        await c.get("/auth/session"),
        await c.get("/healthz"),
        await c.post("/auth/login", { email: uniqueEmail(), password: "x" }),
      ]) {
        expect(response.header("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
        expectHelmet(response, "https");
      }
    } finally {
      await server.close();
    }
  });

  it("TRUST_PROXY=1 in production: with X-Forwarded-Proto: https the cookie is Secure and named __Host-, and the session works through the proxy", async () => {
    const server = await production({ TRUST_PROXY: "1" });
    try {
      const host = new URL(server.url).host;
      // The browser's Origin is the public https origin the proxy serves.
      const c = server.client({ headers: { "x-forwarded-proto": "https", origin: `https://${host}` } });
      const signup = await c.post("/auth/signup", { email: uniqueEmail("tls"), password: PASSWORD });
      expect(signup.status).toBe(201);
      expect(signup.setCookie).toHaveLength(1);
      const cookie = parseSetCookie(signup.setCookie[0]!);
      expect(cookie.name).toBe("__Host-auth.sid");
      expect(cookie.attributes).toMatchObject({ path: "/", httponly: "", secure: "", samesite: "Strict" });
      expect(cookie.attributes.domain).toBeUndefined();
      expect(signup.header("strict-transport-security")).toMatch(/^max-age=\d+/);
      expect((await c.get("/auth/session")).body.authenticated).toBe(true);
      expect((await c.post("/auth/logout")).status).toBe(204);
      expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
    } finally {
      await server.close();
    }
  });

  it.each([
    ["unset", undefined],
    ["false", "false"],
  ])(
    "TRUST_PROXY %s in production: a spoofed X-Forwarded-Proto: https is not believed, no Secure cookie goes out over plain HTTP",
    async (_label, trustProxy) => {
      const server = await production({ TRUST_PROXY: trustProxy });
      try {
        const c = server.client({ headers: { "x-forwarded-proto": "https" } });
        const signup = await c.post("/auth/signup", { email: uniqueEmail("spoof"), password: PASSWORD });
        expect(signup.status).toBeLessThan(500);
        expect(signup.setCookie).toEqual([]);
        expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
      } finally {
        await server.close();
      }
    },
  );
});
