// The per-process copy of sessions kept coherent by Redis (server/tracked-session-reads.ts), seen from
// outside: two instances on one Redis, and an admin writing to Redis directly. A logout, a changed,
// deleted or shortened session on any side is seen by the very next request; the copy never outlives
// the stored TTL; the copy really saves Redis GETs; and a Redis that is killed, frozen or that drops the
// tracking connection gives 503 or a fresh read, never a cached "signed in".
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { apiGet, logIn, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import { SESSION_KEY_PREFIX } from "../../../server/session/backend.js";
import {
  expectStoreUnavailable,
  sidOf,
  sleep,
  startTestSessionServer,
  timed,
  waitFor,
  type CookieClient,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

let redis: RedisServer;
let legacy: LegacyAuthService;
let echo: EchoUpstream;
let a: TestSessionServer;
let b: TestSessionServer;
/** "Another instance" or an admin: a plain connection to the same Redis. */
let admin: ReturnType<typeof createClient>;
let sessionSecret: string;

beforeAll(async () => {
  // Append-only, so a session written before a kill is still there after the restart.
  redis = await startRedisServer({ appendOnly: true });
  legacy = await startLegacyAuthService();
  echo = await startEchoUpstream();
  sessionSecret = randomBytes(32).toString("base64url");
  const options = { redisUrl: redis.url, authService: legacy.url, sessionSecret, env: { UPSTREAMS: `echo=${echo.origin}/base` } };
  [a, b] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
  admin = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100, connectTimeout: 1_000 } });
  admin.on("error", () => undefined);
  await admin.connect();
});

afterAll(async () => {
  await admin?.close().catch(() => admin?.destroy());
  await a?.close();
  await b?.close();
  await legacy?.close();
  await echo?.close();
  await redis?.stop();
});

/** A client of instance `server` holding the same session cookie as `from`. */
function sameSessionOn(server: TestSessionServer, from: CookieClient): CookieClient {
  const c = server.client();
  for (const [name, value] of from.jar) c.jar.set(name, value);
  return c;
}

const keyOf = (c: CookieClient): string => SESSION_KEY_PREFIX + sidOf(c.jar.get(a.config.cookieName)!);

/** A few session checks, each signed in: the instance now holds a copy. */
async function warm(c: CookieClient, times = 3): Promise<void> {
  for (let i = 0; i < times; i++) {
    const response = await c.get("/auth/session");
    expect(response.status).toBe(200);
    expect(response.body.authenticated).toBe(true);
  }
}

/** Calls of a command so far, from INFO commandstats (0 when never called). */
async function commandCalls(name: string): Promise<number> {
  const info = await admin.info("commandstats");
  const match = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, "m").exec(info);
  return match ? Number(match[1]) : 0;
}

/** Rewrites the stored session JSON in place (same TTL), as another instance or an admin would. */
async function rewriteSession(key: string, change: (session: any) => void): Promise<void> {
  const raw = await admin.get(key);
  expect(raw).not.toBeNull();
  const session = JSON.parse(raw!);
  change(session);
  expect(await admin.set(key, JSON.stringify(session), { expiration: "KEEPTTL" })).toBe("OK");
}

describe("copies on two instances sharing one Redis", () => {
  it("a logout on instance A is seen by the very next request on instance B (session check and gateway), 30 times in a row", async () => {
    const onA = a.client();
    const user = await signUp(onA, "tracked-logout");
    for (let round = 0; round < 30; round++) {
      if (round > 0) await logIn(onA, user.email);
      const onB = sameSessionOn(b, onA);
      await warm(onB);
      expect((await onB.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id, email: user.email } });
      if (round % 5 === 0) expect((await apiGet(onB, `/api/echo/warm/${round}`)).status).toBe(200);
      const alsoOnA = sameSessionOn(a, onA); // keeps the cookie that the logout clears from onA
      await warm(alsoOnA, 1);

      // Reads on B race the logout: whatever they answer, none may leave a stale copy behind.
      const [logout] = await Promise.all([onA.post("/auth/logout"), ...Array.from({ length: 4 }, () => onB.get("/auth/session"))]);
      expect(logout.status).toBe(204);

      // No sleep: the very next request on B already sees the logout (alternately the gateway first).
      if (round % 2 === 0) {
        expect((await onB.get("/auth/session")).body, `round ${round}`).toEqual({ authenticated: false });
        expect((await apiGet(onB, `/api/echo/after/${round}`)).status, `round ${round}`).toBe(401);
      } else {
        expect((await apiGet(onB, `/api/echo/after/${round}`)).status, `round ${round}`).toBe(401);
        expect((await onB.get("/auth/session")).body, `round ${round}`).toEqual({ authenticated: false });
      }
      expect((await onB.get("/auth/session")).body).toEqual({ authenticated: false });
      expect((await alsoOnA.get("/auth/session")).body, `round ${round}, instance A`).toEqual({ authenticated: false });
    }
  });

  it("a session rewritten in Redis by someone else is seen by the next request on both instances, 50 changes in a row", async () => {
    const onA = a.client();
    const user = await signUp(onA, "tracked-change");
    const onB = sameSessionOn(b, onA);
    const key = keyOf(onA);
    const ttlBefore = await admin.pTTL(key);
    await warm(onA);
    await warm(onB);
    for (let i = 0; i < 50; i++) {
      const email = `changed.${i}.${randomBytes(3).toString("hex")}@example.org`;
      await rewriteSession(key, (session) => (session.user.email = email));
      // No sleep between the acknowledged write and the read, on either instance.
      const [first, onOther] = i % 2 === 0 ? [onB, onA] : [onA, onB];
      expect((await first.get("/auth/session")).body, `change ${i}`).toMatchObject({ authenticated: true, user: { id: user.id, email } });
      expect((await onOther.get("/auth/session")).body, `change ${i}`).toMatchObject({ authenticated: true, user: { id: user.id, email } });
      // A second read is served from the copy just made: still the new value.
      expect((await first.get("/auth/session")).body.user.email).toBe(email);
    }
    // KEEPTTL kept the stored TTL (the rewrites did not make the session immortal).
    const ttlAfter = await admin.pTTL(key);
    expect(ttlAfter).toBeGreaterThan(0);
    expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
  });

  it("a session deleted in Redis by someone else is over at the next request on both instances", async () => {
    const onA = a.client();
    const user = await signUp(onA, "tracked-delete");
    for (let round = 0; round < 10; round++) {
      if (round > 0) await logIn(onA, user.email);
      const onB = sameSessionOn(b, onA);
      await warm(onA);
      await warm(onB);
      expect(await admin.del(keyOf(onA))).toBe(1);
      expect((await onB.get("/auth/session")).body, `round ${round}`).toEqual({ authenticated: false });
      expect((await onA.get("/auth/session")).body, `round ${round}`).toEqual({ authenticated: false });
      expect((await apiGet(onB, "/api/echo/deleted")).status).toBe(401);
    }
  });
});

describe("copies never outlive the stored TTL", () => {
  /** Slows Redis's own expiry (one sweep a second), so only the server's own TTL bookkeeping ends a copy in time. */
  async function withLazyRedisExpiry(run: () => Promise<void>): Promise<void> {
    const hz = (await admin.configGet("hz")).hz ?? "10";
    await admin.configSet("hz", "1");
    try {
      await run();
    } finally {
      await admin.configSet("hz", hz);
    }
  }

  it("a TTL shortened in Redis (PEXPIRE 300) ends the session on both instances 400 ms later", async () => {
    const onA = a.client();
    await signUp(onA, "tracked-pexpire");
    const onB = sameSessionOn(b, onA);
    const key = keyOf(onA);
    await warm(onA);
    await warm(onB);
    await withLazyRedisExpiry(async () => {
      expect(await admin.pExpire(key, 300)).toBe(1);
      // No reads in between: a read would slide the idle window back to its full length.
      await sleep(400);
      expect((await onB.get("/auth/session")).body).toEqual({ authenticated: false });
      expect((await onA.get("/auth/session")).body).toEqual({ authenticated: false });
    });
    expect(await admin.exists(key)).toBe(0);
  });

  it("a copy taken with a short TTL left is not used past that TTL (short idle timeout, no sliding in between)", async () => {
    // Idle timeout 3 s: a read with more than 2.7 s left does not slide the window, so the copy it
    // makes carries the stored TTL, and nothing in Redis changes before the session ends.
    const short = await startTestSessionServer({
      redisUrl: redis.url,
      authService: legacy.url,
      sessionSecret,
      env: { SESSION_IDLE_TIMEOUT: "3s", UPSTREAMS: `echo=${echo.origin}/base` },
    });
    try {
      const c = short.client();
      await signUp(c, "tracked-ttl");
      const key = keyOf(c);
      await warm(c, 2);
      const getsBefore = await commandCalls("get");
      await warm(c, 2); // served from the copy
      expect(await commandCalls("get")).toBe(getsBefore);
      await withLazyRedisExpiry(async () => {
        const ttl = await admin.pTTL(key); // a plain read: no change, no invalidation
        expect(ttl).toBeGreaterThan(2_000);
        const storedEnd = Date.now() + ttl;
        await sleep(storedEnd - Date.now() + 50);
        expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
        expect((await apiGet(c, "/api/echo/expired")).status).toBe(401);
      });
    } finally {
      await short.close();
    }
  });
});

describe("the copy is used", () => {
  it("200 session checks in a row on one instance cost at most a handful of Redis GETs, on a connection with tracking on", async () => {
    const onA = a.client();
    await signUp(onA, "tracked-hot");
    const onB = sameSessionOn(b, onA);
    await warm(onB);
    const getsBefore = await commandCalls("get");
    const pttlsBefore = await commandCalls("pttl");
    for (let i = 0; i < 200; i++) {
      const response = await onB.get("/auth/session");
      expect(response.body.authenticated).toBe(true);
    }
    const gets = (await commandCalls("get")) - getsBefore;
    const pttls = (await commandCalls("pttl")) - pttlsBefore;
    expect(gets, "Redis GETs for 200 session checks").toBeLessThanOrEqual(5);
    expect(pttls, "Redis PTTLs for 200 session checks").toBeLessThanOrEqual(5);

    // Each instance has one RESP3 connection with client tracking on (flag "t").
    const list = await admin.clientList();
    const tracking = list.filter((client) => client.flags.includes("t"));
    expect(tracking.length).toBeGreaterThanOrEqual(2);
    for (const client of tracking) expect(client.resp).toBe(3);
  });

  it("after an admin FLUSHDB every copy is gone at once, and session checks are served from the copy again (not one Redis GET each)", async () => {
    const onA = a.client();
    await signUp(onA, "tracked-flush");
    const onB = sameSessionOn(b, onA);
    await warm(onB);
    await admin.flushDb();
    expect((await onB.get("/auth/session")).body).toEqual({ authenticated: false });

    const again = a.client();
    await signUp(again, "tracked-after-flush");
    const againOnB = sameSessionOn(b, again);
    await warm(againOnB);
    const getsBefore = await commandCalls("get");
    for (let i = 0; i < 50; i++) expect((await againOnB.get("/auth/session")).body.authenticated).toBe(true);
    expect((await commandCalls("get")) - getsBefore, "Redis GETs for 50 session checks after a FLUSHDB").toBeLessThanOrEqual(5);
  });
});

describe("connection trouble never serves a copy", () => {
  it("a tracking connection dropped by Redis (CLIENT KILL) forgets every copy: a change made meanwhile is seen once reads work again", async () => {
    const onA = a.client();
    const user = await signUp(onA, "tracked-drop");
    const onB = sameSessionOn(b, onA);
    const key = keyOf(onA);
    await warm(onB);
    await warm(onA);
    const tracking = (await admin.clientList()).filter((client) => client.flags.includes("t"));
    expect(tracking.length).toBeGreaterThanOrEqual(2);
    for (const client of tracking) await admin.sendCommand(["CLIENT", "KILL", "ID", String(client.id)]);
    // Changed while no instance can be told.
    const email = `after-drop.${randomBytes(3).toString("hex")}@example.org`;
    await rewriteSession(key, (session) => (session.user.email = email));

    const seen: TestResponse[] = [];
    const back = await waitFor(
      async () => {
        const response = await onB.get("/auth/session");
        seen.push(response);
        return response.status === 200;
      },
      5_000,
      20,
    );
    expect(back).toBe(true);
    for (const response of seen) {
      if (response.status === 200) expect(response.body).toMatchObject({ authenticated: true, user: { id: user.id, email } });
      else expectStoreUnavailable(response);
    }
    expect(await waitFor(async () => (await onA.get("/auth/session")).status === 200, 5_000, 20)).toBe(true);
    expect((await onA.get("/auth/session")).body.user.email).toBe(email);
    // And the copies are kept coherent again after the reconnect.
    await warm(onB);
    await admin.del(key);
    expect((await onB.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it("Redis killed after the copy was made: the next session check answers 503 in under a second, never a cached sign-in; recovers by itself on restart", async () => {
    const onA = a.client();
    const user = await signUp(onA, "tracked-kill");
    const onB = sameSessionOn(b, onA);
    await warm(onB);
    await warm(onA);
    await redis.kill();
    try {
      for (const c of [onB, onA, onB]) {
        const { response, ms } = await timed(() => c.get("/auth/session"));
        expectStoreUnavailable(response);
        expect(ms).toBeLessThan(1_000);
      }
      const { response: gateway, ms } = await timed(() => apiGet(onB, "/api/echo/killed"));
      expect(gateway.status).toBe(503);
      expect(ms).toBeLessThan(1_000);
    } finally {
      await redis.restart();
    }
    // The append-only file kept the session: it is back on both instances without a restart.
    for (const c of [onB, onA]) {
      expect(
        await waitFor(async () => {
          const response = await c.get("/auth/session");
          return response.status === 200 && response.body.authenticated === true;
        }, 8_000),
      ).toBe(true);
      expect((await c.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id } });
    }
    // The copy works again (a restarted Redis has fresh command stats) and stays coherent.
    await warm(onB);
    const getsBefore = await commandCalls("get");
    for (let i = 0; i < 50; i++) expect((await onB.get("/auth/session")).body.authenticated).toBe(true);
    expect((await commandCalls("get")) - getsBefore).toBeLessThanOrEqual(5);
    expect((await onA.post("/auth/logout")).status).toBe(204);
    expect((await onB.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it("Redis frozen (SIGSTOP) after the copy was made: session checks and the gateway answer 503 within a second, not a cached 200; recovers after SIGCONT", async () => {
    const onA = a.client();
    const user = await signUp(onA, "tracked-freeze");
    const onB = sameSessionOn(b, onA);
    await warm(onB);
    await warm(onA);
    expect((await apiGet(onB, "/api/echo/before-freeze")).status).toBe(200);
    const pid = redis.pid;
    process.kill(pid, "SIGSTOP");
    // However this test ends, Redis is thawed.
    const safety = setTimeout(() => {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // already gone
      }
    }, 10_000);
    try {
      for (const c of [onB, onA, onB]) {
        const { response, ms } = await timed(() => c.get("/auth/session"));
        expectStoreUnavailable(response);
        expect(ms).toBeLessThan(1_000);
      }
      // Concurrent checks (sharing one barrier) fail the same way.
      const burst = await Promise.all(Array.from({ length: 10 }, () => timed(() => onB.get("/auth/session"))));
      for (const { response, ms } of burst) {
        expectStoreUnavailable(response);
        expect(ms).toBeLessThan(1_000);
      }
      const { response: gateway, ms } = await timed(() => apiGet(onB, "/api/echo/frozen"));
      expect(gateway.status).toBe(503);
      expect(ms).toBeLessThan(1_000);
    } finally {
      clearTimeout(safety);
      process.kill(pid, "SIGCONT");
    }
    expect(await waitFor(async () => (await onB.get("/auth/session")).status === 200, 5_000)).toBe(true);
    expect((await onB.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id } });
    // Coherent again after the thaw.
    expect((await onA.post("/auth/logout")).status).toBe(204);
    expect((await onB.get("/auth/session")).body).toEqual({ authenticated: false });
  });
});
