// Issue 6, scale-out: two session-server instances on a local 3-master Redis Cluster
// (REDIS_CLUSTER_NODES) share sessions (login on one, use on the other), make exactly one JWT request
// for 100 concurrent first gateway calls spread over both, and a logout on one ends the session on
// both; every key the servers write lands on the cluster with the `ae:` prefix and a TTL. The same
// logout check on two instances sharing one plain Redis (REDIS_URL), which the gateway suite's
// shared-Redis tests (session on both, single flight) do not make.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { apiGet, bearerOf, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startRedisCluster, type RedisCluster } from "../../helpers/redis-cluster.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import { PASSWORD, sidOf, startTestSessionServer, type CookieClient, type TestSessionServer } from "../../helpers/session-server.js";

let legacy: LegacyAuthService;
let echo: EchoUpstream;

beforeAll(async () => {
  legacy = await startLegacyAuthService();
  echo = await startEchoUpstream();
});
afterAll(async () => {
  await legacy?.close();
  await echo?.close();
});
beforeEach(() => {
  legacy.fault = {};
  echo.reset();
});

/** A client of `server` holding the same cookies as `from` (one browser, load-balanced to another instance). */
function sameSessionOn(server: TestSessionServer, from: CookieClient): CookieClient {
  const c = server.client();
  for (const [name, value] of from.jar) c.jar.set(name, value);
  return c;
}

async function logoutOnOneEndsBoth(a: TestSessionServer, b: TestSessionServer): Promise<void> {
  const onA = a.client();
  const user = await signUp(onA, "logout-both");
  const onB = sameSessionOn(b, onA);
  const sid = sidOf(onA.jar.get(a.config.cookieName)!);
  expect((await apiGet(onA, "/api/echo/warm-a")).status).toBe(200);
  expect((await apiGet(onB, "/api/echo/warm-b")).status).toBe(200); // B now holds the JWT in its memory too
  const onBLater = sameSessionOn(b, onA);
  expect((await onA.post("/auth/logout")).status).toBe(204);
  for (const [label, c] of [
    ["instance A", sameSessionOn(a, onBLater)],
    ["instance B", onBLater],
  ] as const) {
    expect((await c.get("/auth/session")).body, label).toEqual({ authenticated: false });
    expect((await apiGet(c, "/api/echo/after-logout")).body, label).toMatchObject({ error: "unauthenticated" });
  }
  expect(await b.running.backend.read(sid)).toBeNull();
  expect(await b.running.backend.kv.get(`jwt:${sid}`)).toBeNull();
  expect(await b.running.backend.kv.members(`user-sessions:${user.id}`)).not.toContain(sid);
  // Signing in again on B works and is seen on A.
  const again = b.client();
  expect((await again.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
  expect((await sameSessionOn(a, again).get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id } });
}

describe("two instances on a local 3-master Redis Cluster (REDIS_CLUSTER_NODES)", () => {
  let cluster: RedisCluster;
  let a: TestSessionServer;
  let b: TestSessionServer;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const options = {
      authService: legacy.url,
      sessionSecret: randomBytes(32).toString("base64url"),
      // 100 calls of one session, 50 on each instance: above the default per-session cap of 32 in flight.
      env: { REDIS_CLUSTER_NODES: cluster.nodes, UPSTREAMS: `echo=${echo.origin}/base`, GATEWAY_MAX_CALLS_PER_SESSION: "100" },
    };
    [a, b] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cluster?.stop();
  });

  it("both instances run on the cluster and report ready", async () => {
    expect(a.running.backend.kind).toBe("redis-cluster");
    expect(b.running.backend.kind).toBe("redis-cluster");
    for (const server of [a, b])
      expect((await server.client().get("/readyz")).body).toMatchObject({ status: "ready", checks: { sessionStore: "ok" } });
  });

  it("Redis Cluster: login on one instance, use on the other (session check and gateway)", async () => {
    const onA = a.client();
    const user = await signUp(onA, "cluster");
    const onB = sameSessionOn(b, onA);
    expect((await onB.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id, email: user.email } });
    expect((await apiGet(onB, "/api/echo/from-b")).status).toBe(200);
    // And the other way round, with a login made on B.
    const loginOnB = b.client();
    expect((await loginOnB.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
    expect((await sameSessionOn(a, loginOnB).get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id } });
  });

  it(
    "Redis Cluster: 100 concurrent first gateway calls spread over both instances make exactly 1 JWT request",
    { timeout: 30_000 },
    async () => {
      for (const delayMs of [200, 0]) {
        const onA = a.client();
        await signUp(onA, "cluster-burst");
        const onB = sameSessionOn(b, onA);
        echo.reset();
        legacy.fault = delayMs ? { delayMs, only: "jwt" } : {};
        const before = legacy.counts.jwt;
        const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => apiGet(i % 2 === 0 ? onA : onB, `/api/echo/burst/${i}`)));
        legacy.fault = {};
        expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
        expect(legacy.counts.jwt - before, `JWT requests (auth service delay ${delayMs} ms)`).toBe(1);
        expect(new Set(echo.requests.map(bearerOf)).size).toBe(1);
      }
    },
  );

  it("Redis Cluster: logout on one instance ends the session on both", async () => {
    await logoutOnOneEndsBoth(a, b);
  });

  it("Redis Cluster: the keys are spread over the masters, every one with the ae: prefix and a TTL", async () => {
    // A few more sessions so the keys hash to every master.
    for (let i = 0; i < 6; i++) {
      const c = (i % 2 === 0 ? a : b).client();
      await signUp(c, "cluster-keys");
      expect((await apiGet(c, "/api/echo/k")).status).toBe(200);
    }
    await a.client().post("/auth/login", { email: "nobody@example.org", password: "wrong password" });
    const keys = await cluster.keys();
    expect(new Set(keys.map((k) => k.port)).size).toBe(3);
    for (const kind of ["ae:sess:", "ae:jwt:", "ae:user-sessions:", "ae:rl:"])
      expect(
        keys.some((k) => k.key.startsWith(kind)),
        kind,
      ).toBe(true);
    const bad = keys.filter((k) => !k.key.startsWith("ae:") || (k.pttl <= 0 && k.pttl !== -2));
    expect(bad).toEqual([]);
  });
});

describe("two instances on one plain Redis (REDIS_URL)", () => {
  let redis: RedisServer;
  let a: TestSessionServer;
  let b: TestSessionServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    const options = {
      redisUrl: redis.url,
      authService: legacy.url,
      sessionSecret: randomBytes(32).toString("base64url"),
      env: { UPSTREAMS: `echo=${echo.origin}/base` },
    };
    [a, b] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it("single Redis: logout on one instance ends the session on both", async () => {
    await logoutOnOneEndsBoth(a, b);
  });
});
