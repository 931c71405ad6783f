// The gateway on a real, shared Redis (issue 4 acceptance; security.md 10): two session-server
// instances share one Redis, one session and one SESSION_SECRET, and a burst of 100 first calls
// spread over both costs exactly one JWT request; every key the servers write has the `ae:` prefix
// and a TTL; Redis killed (or frozen) during gateway traffic gives fast 503s, never a hang and never
// an "anonymous" answer, and everything works again once Redis is back, without a restart.
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { apiGet, bearerOf, expiryMs, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  PASSWORD,
  sleep,
  startTestSessionServer,
  type CookieClient,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

let redis: RedisServer;
let legacy: LegacyAuthService;
let echo: EchoUpstream;
let a: TestSessionServer;
let b: TestSessionServer;

beforeAll(async () => {
  // Append-only, so sessions survive the kill and restart below (as a production Redis would).
  redis = await startRedisServer({ appendOnly: true });
  legacy = await startLegacyAuthService();
  echo = await startEchoUpstream();
  const sessionSecret = randomBytes(32).toString("base64url");
  // 100 calls of one session, 50 on each instance: above the default per-session cap of 32 in flight.
  const options = {
    redisUrl: redis.url,
    authService: legacy.url,
    sessionSecret,
    env: { UPSTREAMS: `echo=${echo.origin}/base`, GATEWAY_MAX_CALLS_PER_SESSION: "100" },
  };
  [a, b] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await legacy?.close();
  await echo?.close();
  await redis?.stop();
});

beforeEach(() => {
  legacy.fault = {};
  echo.reset();
});

/** A client of instance `server` holding the same session cookie as `from`. */
function sameSessionOn(server: TestSessionServer, from: CookieClient): CookieClient {
  const c = server.client();
  for (const [name, value] of from.jar) c.jar.set(name, value);
  return c;
}

describe("two instances sharing one Redis", () => {
  it("one session works on both instances (shared store, same secret)", async () => {
    const onA = a.client();
    const user = await signUp(onA, "shared");
    const onB = sameSessionOn(b, onA);
    expect((await onB.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id } });
  });

  it.each([
    { label: "slow auth service", delayMs: 250 },
    { label: "fast auth service", delayMs: 0 },
    { label: "fast auth service, again", delayMs: 0 },
  ])("100 concurrent first calls spread over 2 instances make exactly 1 JWT request ($label)", async ({ delayMs }) => {
    const onA = a.client();
    await signUp(onA, "cross");
    const onB = sameSessionOn(b, onA);
    if (delayMs) legacy.fault = { delayMs, only: "jwt" };
    const jwtBefore = legacy.counts.jwt;
    const fetchesBefore = a.running.jwtProvider.fetches + b.running.jwtProvider.fetches;
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => apiGet(i % 2 === 0 ? onA : onB, `/api/echo/cross/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(legacy.counts.jwt - jwtBefore).toBe(1);
    expect(a.running.jwtProvider.fetches + b.running.jwtProvider.fetches - fetchesBefore).toBe(1);
    expect(echo.requests).toHaveLength(100);
    expect(new Set(echo.requests.map(bearerOf)).size).toBe(1);
  });

  it("100 concurrent calls with an expired JWT make exactly 1 request, on one instance and across two (security.md 20)", async () => {
    const short = await startLegacyAuthService({ jwtLifetimeSeconds: 4 });
    const sessionSecret = randomBytes(32).toString("base64url");
    const options = {
      redisUrl: redis.url,
      authService: short.url,
      sessionSecret,
      env: { UPSTREAMS: `echo=${echo.origin}/base`, GATEWAY_MAX_CALLS_PER_SESSION: "100" },
    };
    const [a2, b2] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
    try {
      const single = a2.client();
      await signUp(single, "expired-one");
      const crossA = a2.client();
      await signUp(crossA, "expired-two");
      const crossB = sameSessionOn(b2, crossA);
      // Every process gets the first JWT into its own cache too.
      for (const c of [single, crossA, crossB]) expect((await apiGet(c, "/api/echo/first")).status).toBe(200);
      expect(short.counts.jwt).toBe(2);
      const firstJwt = bearerOf(echo.requests.at(-1)!);
      const exp = expiryMs(firstJwt);
      await sleep(exp - Date.now() + 100); // now truly expired, in every cache
      echo.reset();

      const one = await Promise.all(Array.from({ length: 100 }, (_, i) => apiGet(single, `/api/echo/one/${i}`)));
      expect(one.map((r) => r.status)).toEqual(Array(100).fill(200));
      expect(short.counts.jwt).toBe(3);

      const two = await Promise.all(Array.from({ length: 100 }, (_, i) => apiGet(i % 2 === 0 ? crossA : crossB, `/api/echo/two/${i}`)));
      expect(two.map((r) => r.status)).toEqual(Array(100).fill(200));
      expect(short.counts.jwt).toBe(4);
      for (const request of echo.requests) expect(expiryMs(bearerOf(request))).toBeGreaterThan(request.receivedAt);
    } finally {
      await a2.close();
      await b2.close();
      await short.close();
    }
  });

  it("a session ended on one instance (refused refresh token) is over on the other too", async () => {
    const onA = a.client();
    await signUp(onA, "ended");
    const onB = sameSessionOn(b, onA);
    legacy.revokeAllTokens();
    expect((await apiGet(onA, "/api/echo/x")).body.error).toBe("session_expired");
    expect((await onB.get("/auth/session")).body).toEqual({ authenticated: false });
    expect((await apiGet(onB, "/api/echo/x")).status).toBe(401);
  });

  it("every key the servers wrote has the ae: prefix and a TTL", async () => {
    // Touch every kind of key: sessions, the per-user index, JWT cache, locks, rate-limit counters.
    const c = a.client();
    const user = await signUp(c, "keys");
    await apiGet(c, "/api/echo/x");
    const wrong = await b.client().post("/auth/login", { email: user.email, password: "wrong password!" });
    expect(wrong.status).toBe(401);
    const again = b.client();
    expect((await again.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
    await apiGet(again, "/api/echo/y");
    expect((await again.post("/auth/logout")).status).toBe(204);

    const inspect = createClient({ url: redis.url });
    await inspect.connect();
    try {
      const keys: string[] = [];
      for await (const batch of inspect.scanIterator({ COUNT: 1000 })) keys.push(...batch);
      expect(keys.length).toBeGreaterThan(10);
      const kinds = new Set(keys.map((key) => key.split(":").slice(0, 2).join(":")));
      for (const kind of ["ae:sess", "ae:jwt", "ae:user-sessions", "ae:rl"]) expect([...kinds], kind).toContain(kind);
      for (const key of keys) {
        expect(key.startsWith("ae:"), key).toBe(true);
        const ttl = await inspect.pTTL(key);
        expect(ttl, `TTL of ${key}`).toBeGreaterThan(0);
      }
    } finally {
      await inspect.close();
    }
  });
});

interface Sample {
  kind: "session" | "gateway";
  startedAt: number;
  ms: number;
  status: number;
  body: any;
}

/** Calls /auth/session and the gateway in turn until stopped, timing each answer. */
function traffic(c: CookieClient): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const kind = i % 2 === 0 ? "session" : "gateway";
      const startedAt = Date.now();
      let response: TestResponse | undefined;
      try {
        response = kind === "session" ? await c.get("/auth/session") : await apiGet(c, `/api/echo/traffic/${i}`);
      } catch {
        response = undefined;
      }
      samples.push({ kind, startedAt, ms: Date.now() - startedAt, status: response?.status ?? 0, body: response?.body });
      await sleep(25);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe("Redis down and back", () => {
  it("killed during gateway traffic: 503 within a second for session and gateway calls, then working again after restart", async () => {
    const c = a.client();
    const user = await signUp(c, "outage");
    expect((await apiGet(c, "/api/echo/warm")).status).toBe(200);
    const load = traffic(c);
    await sleep(300);
    await redis.kill();
    const killedAt = Date.now();
    await sleep(1_500);

    // While it is down, a login attempt fails fast as well, with no hint of the cause.
    const loginStarted = Date.now();
    const login = await a.client().post("/auth/login", { email: user.email, password: PASSWORD });
    expect(login.status).toBe(503);
    expect(Date.now() - loginStarted).toBeLessThan(1_000);

    const restartedAt = Date.now();
    await redis.restart();
    const deadline = Date.now() + 5_000;
    let recoveredAt = 0;
    while (Date.now() < deadline) {
      const recent = load.samples.filter((s) => s.startedAt > restartedAt);
      const okSession = recent.some((s) => s.kind === "session" && s.status === 200 && s.body?.authenticated === true);
      const okGateway = recent.some((s) => s.kind === "gateway" && s.status === 200);
      if (okSession && okGateway) {
        recoveredAt = Date.now();
        break;
      }
      await sleep(50);
    }
    await sleep(200);
    await load.stop();

    const down = load.samples.filter((s) => s.startedAt >= killedAt && s.startedAt + s.ms < restartedAt);
    expect(down.filter((s) => s.kind === "session").length).toBeGreaterThan(5);
    expect(down.filter((s) => s.kind === "gateway").length).toBeGreaterThan(5);
    for (const sample of down) {
      expect(sample.status, `${sample.kind} while Redis is down`).toBe(503);
      expect(sample.body).toMatchObject({ error: "session_store_unavailable" });
    }
    // Never a hang, never an answer that says "anonymous" because the store is down.
    for (const sample of load.samples) {
      expect(sample.ms, `${sample.kind} answered in ${sample.ms} ms`).toBeLessThan(1_000);
      expect(sample.status).not.toBe(0);
      if (sample.kind === "session" && sample.status === 200) expect(sample.body.authenticated).toBe(true);
      if (sample.kind === "gateway") expect([200, 503]).toContain(sample.status);
    }
    expect(recoveredAt, "working again within 5 s of the restart").toBeGreaterThan(0);
    // And afterwards: both instances, new logins and the JWT path all work.
    expect((await apiGet(c, "/api/echo/after")).status).toBe(200);
    expect((await sameSessionOn(b, c).get("/auth/session")).body.authenticated).toBe(true);
    const fresh = b.client();
    await signUp(fresh, "after-outage");
    expect((await apiGet(fresh, "/api/echo/fresh")).status).toBe(200);
    // No secret in the logs of the outage either.
    const stored = legacy.requests.map((r) => r.headers["refresh-token"]).filter((t): t is string => typeof t === "string");
    for (const token of stored) expect(a.logs().includes(token) || b.logs().includes(token)).toBe(false);
  });

  it("killed without persistence: sessions are lost, callers read as anonymous after restart and can sign in again", async () => {
    const volatile = await startRedisServer();
    const server = await startTestSessionServer({
      redisUrl: volatile.url,
      authService: legacy.url,
      env: { UPSTREAMS: `echo=${echo.origin}/base` },
    });
    try {
      const c = server.client();
      const user = await signUp(c, "volatile");
      expect((await apiGet(c, "/api/echo/x")).status).toBe(200);
      await volatile.kill();
      const started = Date.now();
      expect((await apiGet(c, "/api/echo/x")).status).toBe(503);
      expect((await c.get("/auth/session")).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1_000);
      await volatile.restart();
      let state: TestResponse | undefined;
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        state = await c.get("/auth/session");
        if (state.status === 200) break;
        await sleep(100);
      }
      expect(state?.body).toEqual({ authenticated: false });
      expect((await apiGet(c, "/api/echo/x")).body.error).toBe("unauthenticated");
      expect((await c.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
      expect((await apiGet(c, "/api/echo/x")).status).toBe(200);
    } finally {
      await server.close();
      await volatile.stop();
    }
  });

  it("frozen (SIGSTOP, connections open but no answers): 503 within a second, then working again after SIGCONT", async () => {
    const c = a.client();
    const user = await signUp(c, "frozen");
    expect((await apiGet(c, "/api/echo/warm")).status).toBe(200);
    const pid = redis.pid;
    process.kill(pid, "SIGSTOP");
    // Thaw it even if the calls below hang (a timed-out test never reaches `finally`).
    const safety = setTimeout(() => process.kill(pid, "SIGCONT"), 4_000);
    try {
      const results = await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          const started = Date.now();
          const response = i % 2 === 0 ? await c.get("/auth/session") : await apiGet(c, "/api/echo/frozen");
          return { status: response.status, ms: Date.now() - started };
        }),
      );
      for (const result of results) {
        expect(result.status).toBe(503);
        expect(result.ms).toBeLessThan(1_000);
      }
    } finally {
      clearTimeout(safety);
      process.kill(pid, "SIGCONT");
    }
    const deadline = Date.now() + 5_000;
    let ok = false;
    while (Date.now() < deadline && !ok) {
      const [session, gateway] = await Promise.all([c.get("/auth/session"), apiGet(c, "/api/echo/thawed")]);
      ok = session.status === 200 && gateway.status === 200;
      if (ok) expect(session.body).toMatchObject({ authenticated: true, user: { id: user.id } });
      else await sleep(100);
    }
    expect(ok).toBe(true);
    // Late answers to the timed-out commands must not be handed to later ones: each session reads as itself.
    const other = b.client();
    const otherUser = await signUp(other, "thaw-check");
    const checks = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? c : other).get("/auth/session")));
    checks.forEach((check, i) => expect(check.body.user.id).toBe(i % 2 === 0 ? user.id : otherUser.id));
  });
});
