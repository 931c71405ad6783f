// CSRF and CORS on the /auth routes (security 14-17): X-CSRF: 1 on every unsafe method, Origin and
// Sec-Fetch-Site checked against ALLOWED_ORIGINS, CORS only for exact allowed origins with credentials.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  PASSWORD,
  sidOf,
  startTestSessionServer,
  uniqueEmail,
  type CookieClient,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const APP = "https://app.example.com";
const OTHER_APP = "http://localhost:5173";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

function expectCsrfRejected(response: TestResponse): void {
  expect(response.status).toBe(403);
  expect(response.body).toEqual({ error: "csrf_rejected", message: expect.any(String) });
  expect(response.header("cache-control")).toBe("no-store");
  expect(response.setCookie).toEqual([]);
}

function expectNoCors(response: TestResponse): void {
  expect(response.header("access-control-allow-origin")).toBeUndefined();
  expect(response.header("access-control-allow-credentials")).toBeUndefined();
}

describe.each(STORE_MODES)("CSRF and CORS (%s store)", (store) => {
  let server: TestSessionServer;
  beforeAll(async () => {
    server = await startTestSessionServer({
      redisUrl: store === "redis" ? redis.url : undefined,
      env: { ALLOWED_ORIGINS: `${APP}, ${OTHER_APP}` },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function signedIn(): Promise<{ c: CookieClient; email: string }> {
    const c = server.client();
    const email = uniqueEmail(store);
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    return { c, email };
  }

  describe("security 14: every unsafe method without X-CSRF: 1 gets 403", () => {
    it("signup without X-CSRF: 403 csrf_rejected, and no user is created", async () => {
      const email = uniqueEmail();
      for (const value of [undefined, "0", "true", "", "yes", "1, 1"]) {
        expectCsrfRejected(await server.client().post("/auth/signup", { email, password: PASSWORD }, { headers: { "x-csrf": value } }));
      }
      expect((await server.client().post("/auth/login", { email, password: PASSWORD })).status).toBe(401);
    });

    it("security 17: login is CSRF-protected too: no X-CSRF, 403 and no session", async () => {
      const { email } = await signedIn();
      const c = server.client();
      expectCsrfRejected(await c.post("/auth/login", { email, password: PASSWORD }, { headers: { "x-csrf": undefined } }));
      expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
    });

    it("logout without X-CSRF: 403, and the session survives", async () => {
      const { c } = await signedIn();
      const sid = sidOf(c.jar.get(server.config.cookieName)!);
      expectCsrfRejected(await c.post("/auth/logout", undefined, { headers: { "x-csrf": undefined } }));
      expect(await server.hasSession(sid)).toBe(true);
      expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    });

    it("a cross-site form post (urlencoded, no X-CSRF) is refused", async () => {
      const { c } = await signedIn();
      const response = await c.post("/auth/logout", undefined, {
        raw: "a=b",
        headers: { "x-csrf": undefined, "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      });
      expect(response.status).toBe(403);
      expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    });
  });

  describe("security 15: an Origin or Sec-Fetch-Site outside ALLOWED_ORIGINS gets 403", () => {
    it("a foreign Origin on signup, login and logout: 403 even with X-CSRF", async () => {
      const { c, email } = await signedIn();
      for (const origin of [
        "https://evil.example",
        "null",
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "https://app.example.com:8443",
      ]) {
        expectCsrfRejected(
          await server.client().post("/auth/signup", { email: uniqueEmail(), password: PASSWORD }, { headers: { origin } }),
        );
        expectCsrfRejected(await server.client().post("/auth/login", { email, password: PASSWORD }, { headers: { origin } }));
        expectCsrfRejected(await c.post("/auth/logout", undefined, { headers: { origin } }));
      }
      expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    });

    it("without Origin, Sec-Fetch-Site cross-site or same-site gets 403; same-origin and none pass", async () => {
      const { email } = await signedIn();
      for (const site of ["cross-site", "same-site"]) {
        expectCsrfRejected(
          await server.client().post("/auth/login", { email, password: PASSWORD }, { headers: { "sec-fetch-site": site } }),
        );
      }
      for (const site of ["same-origin", "none"]) {
        expect(
          (await server.client().post("/auth/login", { email, password: PASSWORD }, { headers: { "sec-fetch-site": site } })).status,
        ).toBe(200);
      }
    });

    it("an allowed origin from ALLOWED_ORIGINS, and the server's own origin, may log in and out", async () => {
      const { email } = await signedIn();
      for (const origin of [APP, OTHER_APP, server.url]) {
        const c = server.client({ headers: { origin, "sec-fetch-site": origin === server.url ? "same-origin" : "cross-site" } });
        const login = await c.post("/auth/login", { email, password: PASSWORD });
        expect(login.status).toBe(200);
        expect((await c.get("/auth/session")).body.authenticated).toBe(true);
        expect((await c.post("/auth/logout")).status).toBe(204);
      }
    });
  });

  describe("security 16: CORS echoes only exact allowed origins, with credentials and Vary: Origin", () => {
    it("an allowed origin is echoed with Access-Control-Allow-Credentials and Vary: Origin", async () => {
      for (const origin of [APP, OTHER_APP]) {
        const response = await server.client().get("/auth/session", { headers: { origin } });
        expect(response.status).toBe(200);
        expect(response.header("access-control-allow-origin")).toBe(origin);
        expect(response.header("access-control-allow-credentials")).toBe("true");
        expect(response.header("vary")).toMatch(/\bOrigin\b/);
      }
      // On errors and on successful unsafe requests too.
      const { email } = await signedIn();
      const login = await server.client({ headers: { origin: APP } }).post("/auth/login", { email, password: PASSWORD });
      expect(login.header("access-control-allow-origin")).toBe(APP);
      const failed = await server.client({ headers: { origin: APP } }).post("/auth/login", { email, password: "wrong" });
      expect(failed.status).toBe(401);
      expect(failed.header("access-control-allow-origin")).toBe(APP);
    });

    it("a disallowed, near-miss or null origin gets no CORS headers (never *), but still Vary: Origin", async () => {
      for (const origin of ["https://evil.example", "null", "https://app.example.com.evil.example", "http://app.example.com", "*"]) {
        const response = await server.client().get("/auth/session", { headers: { origin } });
        expectNoCors(response);
        expect(response.header("vary")).toMatch(/\bOrigin\b/);
      }
      const plain = await server.client().get("/auth/session");
      expectNoCors(plain);
      expect(plain.header("vary")).toMatch(/\bOrigin\b/);
    });

    it("preflight OPTIONS from an allowed origin: 204 with the origin, credentials, POST and the X-CSRF header allowed", async () => {
      for (const path of ["/auth/login", "/auth/signup", "/auth/logout", "/auth/session"]) {
        const response = await server.client().request("OPTIONS", path, undefined, {
          headers: { origin: APP, "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-csrf" },
        });
        expect(response.status).toBe(204);
        expect(response.header("access-control-allow-origin")).toBe(APP);
        expect(response.header("access-control-allow-credentials")).toBe("true");
        expect(response.header("access-control-allow-methods")).toMatch(/\bPOST\b/);
        expect(response.header("access-control-allow-headers")?.toLowerCase()).toMatch(/x-csrf/);
        expect(response.header("access-control-allow-headers")?.toLowerCase()).toMatch(/content-type/);
        expect(response.header("vary")).toMatch(/\bOrigin\b/);
      }
    });

    it("preflight OPTIONS from a foreign or null origin: refused, no CORS headers", async () => {
      for (const origin of ["https://evil.example", "null"]) {
        const response = await server.client().request("OPTIONS", "/auth/login", undefined, {
          headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-csrf" },
        });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expectNoCors(response);
        expect(response.header("access-control-allow-headers")).toBeUndefined();
      }
    });
  });
});

describe("ALLOWED_ORIGINS unset: only the server's own origin", () => {
  it("a same-origin request passes, any other origin is refused and gets no CORS", async () => {
    const server = await startTestSessionServer();
    try {
      const email = uniqueEmail();
      expect((await server.client({ headers: { origin: server.url } }).post("/auth/signup", { email, password: PASSWORD })).status).toBe(
        201,
      );
      const foreign = await server.client({ headers: { origin: APP } }).post("/auth/login", { email, password: PASSWORD });
      expectCsrfRejected(foreign);
      expectNoCors(foreign);
      const own = await server.client({ headers: { origin: server.url } }).get("/auth/session");
      expectNoCors(own); // same-origin needs no CORS
    } finally {
      await server.close();
    }
  });
});
