// Auth service failures (security 13): 5xx and unreachable give a generic 502 auth_unavailable, a hang gives
// 504 auth_timeout within AUTH_TIMEOUT_MS, no upstream text or stack trace ever reaches the browser, and
// logout still ends the session whatever the auth service does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LEGACY_FAULT_DETAIL, startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { closedOrigin } from "../../helpers/free-port.js";
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

const AUTH_TIMEOUT_MS = 300;
/** Scheduling slack on a busy machine; the fixture hangs for 5 s, so anything under that bound proves the timeout. */
const SLACK_MS = 1_200;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

function expectGeneric(response: TestResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: code, message: expect.any(String) });
  expect(response.header("cache-control")).toBe("no-store");
  expect(response.text).not.toContain("SQLSTATE");
  expect(response.text).not.toContain("hunter2");
  expect(response.text).not.toContain(LEGACY_FAULT_DETAIL);
  expect(response.text).not.toMatch(/hydra|\bat \S+ \(|node:internal|ECONNREFUSED|Error:/);
  expect(response.setCookie).toEqual([]);
}

describe.each(STORE_MODES)("auth service faults (%s store, legacy fixture)", (store) => {
  let legacy: LegacyAuthService;
  let server: TestSessionServer;
  const redisUrl = () => (store === "redis" ? redis.url : undefined);

  beforeAll(async () => {
    legacy = await startLegacyAuthService();
    server = await startTestSessionServer({
      authService: legacy.url,
      redisUrl: redisUrl(),
      env: { AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS) },
    });
  });
  afterAll(async () => {
    await server?.close();
    await legacy?.close();
  });
  afterEach(() => {
    legacy.fault = {};
  });

  async function signedIn(): Promise<{ c: CookieClient; email: string }> {
    const c = server.client();
    const email = uniqueEmail(store);
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    return { c, email };
  }

  it("security 13: login answered 500 gives 502 auth_unavailable without the upstream's detail", async () => {
    const { email } = await signedIn();
    legacy.fault = { status: 500, only: "login" };
    const c = server.client();
    expectGeneric(await c.post("/auth/login", { email, password: PASSWORD }), 502, "auth_unavailable");
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(server.logs()).not.toContain("hunter2");
  });

  it("security 13: 5xx of any kind and body (503 text, 500 with a stack, 502 empty) give 502 on signup and login", async () => {
    for (const fault of [
      { status: 503, body: `Service Unavailable: ${LEGACY_FAULT_DETAIL}` },
      { status: 500, body: JSON.stringify({ message: LEGACY_FAULT_DETAIL, trace: "at PDO->__construct() /srv/app/vendor/x.php:42" }) },
      { status: 502, body: "" },
    ]) {
      legacy.fault = fault;
      expectGeneric(await server.client().post("/auth/signup", { email: uniqueEmail(), password: PASSWORD }), 502, "auth_unavailable");
      expectGeneric(await server.client().post("/auth/login", { email: uniqueEmail(), password: PASSWORD }), 502, "auth_unavailable");
    }
  });

  it("security 13: signup answered 500 gives 502 auth_unavailable and signs nobody in", async () => {
    legacy.fault = { status: 500, only: "signup" };
    const c = server.client();
    expectGeneric(await c.post("/auth/signup", { email: uniqueEmail(), password: PASSWORD }), 502, "auth_unavailable");
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it("an answer that breaks the contract (201 without a token) is 502, not a half-made session", async () => {
    const { email } = await signedIn();
    legacy.fault = { status: 201, body: JSON.stringify({ "@id": "/api/refresh_tokens/x" }), only: "login" };
    const c = server.client();
    expectGeneric(await c.post("/auth/login", { email, password: PASSWORD }), 502, "auth_unavailable");
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it("security 13: a login that hangs gives 504 auth_timeout within AUTH_TIMEOUT_MS plus slack", async () => {
    const { email } = await signedIn();
    legacy.fault = { hangMs: 5_000, only: "login" };
    const start = performance.now();
    const response = await server.client().post("/auth/login", { email, password: PASSWORD });
    const elapsed = performance.now() - start;
    expectGeneric(response, 504, "auth_timeout");
    expect(elapsed).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(AUTH_TIMEOUT_MS + SLACK_MS);
  });

  it("security 13: a signup that hangs gives 504 auth_timeout within AUTH_TIMEOUT_MS plus slack", async () => {
    legacy.fault = { hangMs: 5_000, only: "signup" };
    const start = performance.now();
    const response = await server.client().post("/auth/signup", { email: uniqueEmail(), password: PASSWORD });
    const elapsed = performance.now() - start;
    expectGeneric(response, 504, "auth_timeout");
    expect(elapsed).toBeLessThan(AUTH_TIMEOUT_MS + SLACK_MS);
  });

  it("a slow but timely auth service is fine", async () => {
    const { email } = await signedIn();
    legacy.fault = { delayMs: AUTH_TIMEOUT_MS / 3, only: "login" };
    expect((await server.client().post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
  });

  it("logout: an upstream 500 still ends the session (204, store key gone, cookie cleared)", async () => {
    const { c } = await signedIn();
    const sid = sidOf(c.jar.get(server.config.cookieName)!);
    legacy.fault = { status: 500, only: "logout" };
    const before = legacy.counts.logout;
    const response = await c.post("/auth/logout");
    expect(response.status).toBe(204);
    expect(legacy.counts.logout).toBe(before + 1);
    expect(response.setCookie).toHaveLength(1);
    expect(await server.hasSession(sid)).toBe(false);
    expect(server.logs()).not.toContain("hunter2");
  });

  it("logout: an upstream 404 (token already gone) counts as done", async () => {
    const { c } = await signedIn();
    const sid = sidOf(c.jar.get(server.config.cookieName)!);
    legacy.fault = { status: 404, only: "logout" };
    expect((await c.post("/auth/logout")).status).toBe(204);
    expect(await server.hasSession(sid)).toBe(false);
  });

  it("logout: a hung upstream still ends the session, within the timeout", async () => {
    const { c } = await signedIn();
    const sid = sidOf(c.jar.get(server.config.cookieName)!);
    legacy.fault = { hangMs: 5_000, only: "logout" };
    const start = performance.now();
    expect((await c.post("/auth/logout")).status).toBe(204);
    expect(performance.now() - start).toBeLessThan(AUTH_TIMEOUT_MS + SLACK_MS);
    expect(await server.hasSession(sid)).toBe(false);
  });
});

describe("an unreachable auth service", () => {
  it("security 13: signup and login give 502 auth_unavailable at once when nothing listens", async () => {
    const server = await startTestSessionServer({ authService: await closedOrigin() });
    try {
      const start = performance.now();
      expectGeneric(await server.client().post("/auth/signup", { email: uniqueEmail(), password: PASSWORD }), 502, "auth_unavailable");
      expectGeneric(await server.client().post("/auth/login", { email: uniqueEmail(), password: PASSWORD }), 502, "auth_unavailable");
      expect(performance.now() - start).toBeLessThan(2_000);
      const ready = await server.client().get("/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ error: "not_ready", checks: { authService: "unavailable", sessionStore: "ok" } });
      expect(ready.body.message).toMatch(/auth service/);
      expect((await server.client().get("/healthz")).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("logout with the auth service gone: 204, and the session ends", async () => {
    const legacy = await startLegacyAuthService();
    const server = await startTestSessionServer({ authService: legacy.url });
    try {
      const c = server.client();
      expect((await c.post("/auth/signup", { email: uniqueEmail(), password: PASSWORD })).status).toBe(201);
      const sid = sidOf(c.jar.get(server.config.cookieName)!);
      await legacy.close();
      const response = await c.post("/auth/logout");
      expect(response.status).toBe(204);
      expect(await server.hasSession(sid)).toBe(false);
      expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
    } finally {
      await server.close();
      await legacy.close();
    }
  });
});
