// Session lifetime and durability: the idle timeout slides and the absolute one does not (security 8), every
// store key has a prefix and a TTL (security 10), sessions survive a session-server restart, and a secret
// list keeps old cookies alive across rotation (security 25).
import { randomBytes } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import { sign } from "cookie-signature";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  PASSWORD,
  removeTempDirs,
  cookieIdOf,
  sidOf,
  sleep,
  startTestSessionServer,
  tempDataDir,
  uniqueEmail,
  type CookieClient,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const IDLE_MS = 2_000;
const ABSOLUTE_MS = 6_000;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
  removeTempDirs();
});

describe.each(STORE_MODES)("timeouts (%s store)", (store) => {
  let server: TestSessionServer;
  beforeAll(async () => {
    server = await startTestSessionServer({
      redisUrl: store === "redis" ? redis.url : undefined,
      env: { SESSION_IDLE_TIMEOUT: `${IDLE_MS / 1000}s`, SESSION_ABSOLUTE_TIMEOUT: `${ABSOLUTE_MS / 1000}s` },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A fresh session, created between `before` and `at`. */
  async function signedIn(): Promise<{ c: CookieClient; sid: string; before: number; at: number }> {
    const c = server.client();
    const before = Date.now();
    const response = await c.post("/auth/signup", { email: uniqueEmail(store), password: PASSWORD });
    expect(response.status).toBe(201);
    const at = Date.now();
    // expiresAt is the idle deadline: creation + idle timeout.
    const expiresAt = Date.parse(response.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + IDLE_MS);
    expect(expiresAt).toBeLessThanOrEqual(at + IDLE_MS);
    return { c, sid: sidOf(c.jar.get(server.config.cookieName)!), before, at };
  }

  /**
   * Uses the session every 400 ms until `until`; each use must find it alive and capped by the absolute
   * deadline. `lastUse` is when the server last saw it (its creation, or the previous call's end).
   */
  async function keepUsing(
    session: { c: CookieClient; at: number },
    until: number,
    lastUse: number,
  ): Promise<{ uses: number; lastUse: number }> {
    let uses = 0;
    let last = lastUse;
    while (Date.now() < until) {
      await sleep(Math.min(400, until - Date.now()));
      const gap = Date.now() - last;
      const response = await session.c.get("/auth/session");
      last = Date.now();
      // The gap shows up in a failure: one over IDLE_MS means the machine stalled, not the server.
      expect({ gap, authenticated: response.body.authenticated }).toEqual({ gap: expect.any(Number), authenticated: true });
      // Never past the absolute deadline, however often it is used.
      expect(Date.parse(response.body.expiresAt)).toBeLessThanOrEqual(session.at + ABSOLUTE_MS);
      uses++;
    }
    return { uses, lastUse: last };
  }

  it("security 8: the idle timeout slides with use; the absolute timeout does not, and idle sessions end", async () => {
    const idle = await signedIn();
    const active = await signedIn();
    const now = Date.now();
    const ttl = await server.sessionTtlMs(active.sid);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(active.at + IDLE_MS - now + 5);

    // Used every 400 ms until well past its first idle deadline: the active session lives on...
    const first = await keepUsing(active, active.at + IDLE_MS + 300, active.at);
    expect(first.uses).toBeGreaterThan(3);
    // ...while the untouched one, past its idle deadline, is gone.
    expect(Date.now()).toBeGreaterThan(idle.at + IDLE_MS);
    expect((await idle.c.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(await server.hasSession(idle.sid)).toBe(false);

    // Still used, right up to shortly before the absolute deadline...
    await keepUsing(active, active.before + ABSOLUTE_MS - 1_500, first.lastUse);
    const before = Date.now();
    expect(await server.sessionTtlMs(active.sid)).toBeLessThanOrEqual(active.at + ABSOLUTE_MS - before + 5);
    // ...and over once it has passed, in active use or not.
    await sleep(active.at + ABSOLUTE_MS + 300 - Date.now());
    expect((await active.c.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(await server.hasSession(active.sid)).toBe(false);
  });
});

describe("security 10: every store key has a prefix and a TTL", () => {
  it("Redis: after signup, login, failures, session checks and logout every key starts with ae: and has a TTL", async () => {
    const own = await startRedisServer();
    const server = await startTestSessionServer({ redisUrl: own.url });
    const inspect = createClient({ url: own.url });
    try {
      await inspect.connect();
      const c = server.client();
      const email = uniqueEmail("keys");
      await c.post("/auth/signup", { email, password: PASSWORD });
      await c.get("/auth/session");
      await server.client().post("/auth/login", { email, password: "wrong" });
      await server.client().post("/auth/login", { email: uniqueEmail(), password: "wrong" });
      await server.client().post("/auth/signup", { email: "bad", password: PASSWORD });
      const other = server.client();
      await other.post("/auth/login", { email, password: PASSWORD });
      await c.post("/auth/logout");

      const keys: string[] = [];
      for await (const batch of inspect.scanIterator({ MATCH: "*", COUNT: 1000 })) keys.push(...batch);
      expect(keys.length).toBeGreaterThanOrEqual(3); // the remaining session, its per-user index, rate-limit counters
      expect(keys.some((key) => key.startsWith("ae:sess:"))).toBe(true);
      for (const key of keys) {
        expect(key).toMatch(/^ae:/);
        const ttl = await inspect.pTTL(key);
        expect({ key, ttl: ttl > 0 }).toEqual({ key, ttl: true });
      }
    } finally {
      await inspect.close().catch(() => undefined);
      await server.close();
      await own.stop();
    }
  });

  it("embedded: every stored session row has a future expiry", async () => {
    const server = await startTestSessionServer();
    try {
      for (let i = 0; i < 3; i++) await server.client().post("/auth/signup", { email: uniqueEmail("rows"), password: PASSWORD });
      const db = new Database(path.join(server.dataDir, "sessions.sqlite"), { readonly: true });
      try {
        const rows = db.prepare("SELECT sid, expires_at FROM sessions").all() as Array<{ sid: string; expires_at: number }>;
        expect(rows).toHaveLength(3);
        for (const row of rows) {
          expect(row.expires_at).toBeGreaterThan(Date.now());
          expect(row.expires_at).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
        }
      } finally {
        db.close();
      }
    } finally {
      await server.close();
    }
  });
});

describe.each(STORE_MODES)("restarts and secret rotation (%s store)", (store) => {
  const redisUrl = () => (store === "redis" ? redis.url : undefined);

  it("sessions survive a session-server restart with the same DATA_DIR and SESSION_SECRET", async () => {
    const dataDir = tempDataDir();
    const secret = randomBytes(32).toString("hex");
    const first = await startTestSessionServer({ redisUrl: redisUrl(), dataDir, sessionSecret: secret });
    const c = first.client();
    const email = uniqueEmail("restart");
    const signup = await c.post("/auth/signup", { email, password: PASSWORD });
    expect(signup.status).toBe(201);
    const cookie = c.cookieHeader();
    await first.close();

    const second = await startTestSessionServer({ redisUrl: redisUrl(), dataDir, sessionSecret: secret });
    try {
      const again = second.client();
      const session = await again.get("/auth/session", { headers: { cookie } });
      expect(session.body).toEqual({ authenticated: true, user: signup.body.user, expiresAt: expect.any(String) });
      // The user survives too (the reference auth service keeps users under DATA_DIR): login still works.
      expect((await second.client().post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
      // And logout still revokes and ends it.
      expect((await again.post("/auth/logout", undefined, { headers: { cookie } })).status).toBe(204);
      expect((await again.get("/auth/session", { headers: { cookie } })).body).toEqual({ authenticated: false });
    } finally {
      await second.close();
    }
  });

  it("security 25: a cookie signed with an old secret is accepted while that secret is second in SESSION_SECRET; new cookies use the first", async () => {
    const dataDir = tempDataDir();
    const oldSecret = `old-${randomBytes(24).toString("hex")}`;
    const newSecret = `new-${randomBytes(24).toString("hex")}`;
    const first = await startTestSessionServer({ redisUrl: redisUrl(), dataDir, sessionSecret: oldSecret });
    const c = first.client();
    const email = uniqueEmail("rotate");
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    const oldCookie = c.cookieHeader();
    await first.close();

    const rotated = await startTestSessionServer({ redisUrl: redisUrl(), dataDir, sessionSecret: `${newSecret},${oldSecret}` });
    try {
      expect((await rotated.client().get("/auth/session", { headers: { cookie: oldCookie } })).body.authenticated).toBe(true);
      const fresh = rotated.client();
      expect((await fresh.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
      const value = fresh.jar.get(rotated.config.cookieName)!;
      const sid = cookieIdOf(value);
      expect(decodeURIComponent(value)).toBe(`s:${sign(sid, newSecret)}`);
    } finally {
      await rotated.close();
    }

    const dropped = await startTestSessionServer({ redisUrl: redisUrl(), dataDir, sessionSecret: newSecret });
    try {
      const response = await dropped.client().get("/auth/session", { headers: { cookie: oldCookie } });
      expect(response.body).toEqual({ authenticated: false });
    } finally {
      await dropped.close();
    }
  });
});
