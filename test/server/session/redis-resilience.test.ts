// Redis going away (security 23 and 24): requests that need a session fail fast with 503
// session_store_unavailable, never hang and never answer as anonymous; /readyz says so; and the server
// recovers by itself when Redis returns on the same address, without a restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  expectStoreUnavailable,
  PASSWORD,
  startTestSessionServer,
  timed,
  uniqueEmail,
  waitFor,
  type CookieClient,
  type TestSessionServer,
} from "../../helpers/session-server.js";

let redis: RedisServer;
let server: TestSessionServer;

beforeAll(async () => {
  // Append-only, so sessions written before a kill are still there after the restart.
  redis = await startRedisServer({ appendOnly: true });
  server = await startTestSessionServer({ redisUrl: redis.url });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

async function signedIn(): Promise<CookieClient> {
  const c = server.client();
  expect((await c.post("/auth/signup", { email: uniqueEmail("resilience"), password: PASSWORD })).status).toBe(201);
  expect((await c.get("/auth/session")).body.authenticated).toBe(true);
  return c;
}

describe("Redis killed", () => {
  it("security 23: GET /auth/session with a session cookie answers 503 session_store_unavailable in well under a second, never anonymous; recovers on restart", async () => {
    const c = await signedIn();
    const other = await signedIn();
    await redis.kill();

    for (let i = 0; i < 5; i++) {
      const { response, ms } = await timed(() => c.get("/auth/session"));
      expectStoreUnavailable(response);
      expect(response.body).not.toHaveProperty("authenticated");
      expect(ms).toBeLessThan(1000);
    }
    // Concurrent callers fail fast too.
    const burst = await Promise.all(Array.from({ length: 20 }, () => timed(() => other.get("/auth/session"))));
    for (const { response, ms } of burst) {
      expectStoreUnavailable(response);
      expect(ms).toBeLessThan(1000);
    }
    // Routes that write sessions fail fast as well, and logout does not pretend to have ended the session.
    for (const request of [
      () => server.client().post("/auth/login", { email: uniqueEmail(), password: PASSWORD }),
      () => server.client().post("/auth/signup", { email: uniqueEmail(), password: PASSWORD }),
      () => c.post("/auth/logout"),
    ]) {
      const { response, ms } = await timed(request);
      expectStoreUnavailable(response);
      expect(ms).toBeLessThan(1000);
    }
    // An anonymous visitor needs no store: still a plain answer.
    expect((await server.client().get("/auth/session")).body).toEqual({ authenticated: false });

    await redis.restart();
    const back = await waitFor(async () => (await c.get("/auth/session")).status === 200, 5_000);
    expect(back).toBe(true);
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    expect((await other.get("/auth/session")).body.authenticated).toBe(true);
    const fresh = server.client();
    expect((await fresh.post("/auth/signup", { email: uniqueEmail(), password: PASSWORD })).status).toBe(201);
    expect((await fresh.get("/auth/session")).body.authenticated).toBe(true);
    expect((await c.post("/auth/logout")).status).toBe(204);
  });

  it("security 24: /readyz is 503 naming the session store while Redis is down and 200 after; /healthz is 200 throughout", async () => {
    expect((await server.client().get("/readyz")).status).toBe(200);
    await redis.kill();
    try {
      const { response: ready, ms } = await timed(() => server.client().get("/readyz"));
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ error: "not_ready", checks: { sessionStore: "unavailable", authService: "ok" } });
      expect(ready.body.message).toMatch(/session store/);
      expect(ready.header("cache-control")).toBe("no-store");
      expect(ms).toBeLessThan(2_500);
      const health = await server.client().get("/healthz");
      expect(health.status).toBe(200);
    } finally {
      await redis.restart();
    }
    expect(await waitFor(async () => (await server.client().get("/readyz")).status === 200, 5_000)).toBe(true);
    expect((await server.client().get("/healthz")).status).toBe(200);
  });
});

describe("Redis hung (SIGSTOP)", () => {
  it("security 23: a Redis that accepts but never answers gives 503 within the command timeout, then recovers", async () => {
    const c = await signedIn();
    process.kill(redis.pid, "SIGSTOP");
    try {
      const { response, ms } = await timed(() => c.get("/auth/session"));
      expectStoreUnavailable(response);
      expect(ms).toBeLessThan(1000);
    } finally {
      process.kill(redis.pid, "SIGCONT");
    }
    expect(await waitFor(async () => (await c.get("/auth/session")).status === 200, 5_000)).toBe(true);
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);
  });
});

describe("Redis lost in the middle of a login", () => {
  it("the refresh token the auth service just issued is revoked at once, and the login answers 503", async () => {
    const legacy = await startLegacyAuthService();
    const legacyServer = await startTestSessionServer({ redisUrl: redis.url, authService: legacy.url });
    try {
      const email = uniqueEmail("midway");
      expect((await legacyServer.client().post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
      const sessionsBefore = await legacyServer.storeSessionsOf(email); // the signup's own session
      expect(sessionsBefore).toHaveLength(1);
      const revokedBefore = legacy.counts.logout;
      legacy.fault = { delayMs: 300, only: "login" };
      const c = legacyServer.client();
      const login = c.post("/auth/login", { email, password: PASSWORD });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await redis.kill();
      const response = await login;
      expectStoreUnavailable(response);
      expect(response.setCookie).toEqual([]);
      expect(legacy.counts.logout).toBe(revokedBefore + 1);
      const revocation = legacy.requests.filter((r) => r.method === "DELETE").at(-1)!;
      expect(revocation.path).toMatch(/^\/api\/refresh_tokens\//);
      // Once Redis is back, no session of this user turns up (no late save of the half-made one).
      await redis.restart();
      expect(await waitFor(async () => (await legacyServer.client().get("/readyz")).status === 200, 5_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await legacyServer.storeSessionsOf(email)).toEqual(sessionsBefore);
    } finally {
      legacy.fault = {};
      await redis.restart();
      await legacyServer.close();
      await legacy.close();
    }
    expect(await waitFor(async () => (await server.client().get("/readyz")).status === 200, 5_000)).toBe(true);
  });
});
