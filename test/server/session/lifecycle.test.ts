// Issue 6, session lifecycle under pressure (security 7, 8, 10) and "log out everywhere":
// - a slow request (a gateway call waiting for its JWT, a login waiting for the auth service) that
//   finishes after the same session logged out does not bring that session back;
// - the idle timeout slides with use, the absolute timeout (from the stored creation time) does not;
// - `POST /auth/sessions/revoke-all` (CSRF-protected) ends every session of the current user on every
//   instance, revokes their refresh tokens upstream, and leaves other users alone;
// - after all of it, every Redis key has the `ae:` prefix and a TTL (sessions, per-user index, JWT
//   cache, JWT locks, rate-limit counters).
import { createClient } from "redis";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { apiGet, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  openedPasswordSession,
  PASSWORD,
  sidOf,
  sleep,
  startTestSessionServer,
  waitFor,
  type CookieClient,
  type TestSessionServer,
} from "../../helpers/session-server.js";

let redis: RedisServer;
let legacy: LegacyAuthService;
let echo: EchoUpstream;

beforeAll(async () => {
  redis = await startRedisServer();
  legacy = await startLegacyAuthService();
  echo = await startEchoUpstream();
});
afterAll(async () => {
  await legacy?.close();
  await echo?.close();
  await redis?.stop();
});
beforeEach(() => {
  legacy.fault = {};
});

const sidOfClient = (server: TestSessionServer, c: CookieClient): string => sidOf(c.jar.get(server.config.cookieName)!);

/** A second client holding the same cookies (another tab of the same browser), optionally on another instance. */
function sameBrowser(server: TestSessionServer, from: CookieClient): CookieClient {
  const c = server.client();
  for (const [name, value] of from.jar) c.jar.set(name, value);
  return c;
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(5);
  }
}

describe.each(["redis", "embedded"] as const)("security 7: a slow request finishing after logout (%s store)", (store) => {
  let server: TestSessionServer;
  beforeAll(async () => {
    server = await startTestSessionServer({
      redisUrl: store === "redis" ? redis.url : undefined,
      authService: legacy.url,
      env: { UPSTREAMS: `echo=${echo.origin}/base`, AUTH_TIMEOUT_MS: "3000" },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function expectGone(c: CookieClient, sid: string, userId: string): Promise<void> {
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
    expect((await apiGet(c, "/api/echo/after")).body).toMatchObject({ error: "unauthenticated" });
    expect(await server.running.backend.read(sid)).toBeNull();
    expect(await server.running.backend.kv.members(`user-sessions:${userId}`)).not.toContain(sid);
  }

  it("a gateway call waiting for its JWT while the session logs out does not bring the session back", { timeout: 20_000 }, async () => {
    const c = server.client();
    const user = await signUp(c, `slow-jwt-${store}`);
    const sid = sidOfClient(server, c);
    const tab = sameBrowser(server, c); // keeps the old cookie after c's logout clears it
    legacy.fault = { delayMs: 800, only: "jwt" };
    const jwtBefore = legacy.counts.jwt;
    const slow = apiGet(tab, "/api/echo/slow");
    await until(() => legacy.counts.jwt > jwtBefore);
    expect((await c.post("/auth/logout")).status).toBe(204);
    const late = await slow;
    expect([200, 401], late.text).toContain(late.status);
    await sleep(100);
    await expectGone(tab, sid, user.id);
    // Logout revoked the refresh token first, so the late JWT request was refused: nothing cached for the dead session.
    expect(await server.running.backend.kv.get(`jwt:${sid}`)).toBeNull();
  });

  it(
    "a failed login still waiting for the auth service while the session logs out does not revive the old session",
    { timeout: 20_000 },
    async () => {
      const c = server.client();
      const user = await signUp(c, `slow-fail-${store}`);
      const sid = sidOfClient(server, c);
      const tab = sameBrowser(server, c);
      legacy.fault = { delayMs: 800, only: "login" };
      const loginsBefore = legacy.counts.login;
      const slow = tab.post("/auth/login", { email: user.email, password: "wrong password" });
      await until(() => legacy.counts.login > loginsBefore);
      expect((await c.post("/auth/logout")).status).toBe(204);
      expect((await slow).status).toBe(401);
      await expectGone(tab, sid, user.id);
    },
  );

  it(
    "a successful login still waiting for the auth service while the old session logs out gives a new session, never the old one",
    { timeout: 20_000 },
    async () => {
      const c = server.client();
      const user = await signUp(c, `slow-ok-${store}`);
      const sid = sidOfClient(server, c);
      const tab = sameBrowser(server, c);
      const old = sameBrowser(server, c);
      legacy.fault = { delayMs: 800, only: "login" };
      const loginsBefore = legacy.counts.login;
      const slow = tab.post("/auth/login", { email: user.email, password: PASSWORD });
      await until(() => legacy.counts.login > loginsBefore);
      expect((await c.post("/auth/logout")).status).toBe(204);
      expect((await slow).status).toBe(200);
      const newSid = sidOfClient(server, tab);
      expect(newSid).not.toBe(sid);
      await expectGone(old, sid, user.id);
      expect((await tab.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id } });
    },
  );
});

describe("security 8: idle and absolute timeouts (Redis and embedded store side by side)", { concurrent: true }, () => {
  const IDLE_MS = 2_500;
  const ABSOLUTE_MS = 6_000;
  const servers: Record<"redis" | "embedded", TestSessionServer> = {} as never;
  beforeAll(async () => {
    for (const store of ["redis", "embedded"] as const) {
      servers[store] = await startTestSessionServer({
        redisUrl: store === "redis" ? redis.url : undefined,
        authService: legacy.url,
        env: { SESSION_IDLE_TIMEOUT: `${IDLE_MS}ms`, SESSION_ABSOLUTE_TIMEOUT: `${ABSOLUTE_MS}ms` },
      });
    }
  });
  afterAll(async () => {
    await servers.redis?.close();
    await servers.embedded?.close();
  });
  const bothStores = (scenario: (server: TestSessionServer, store: string) => Promise<void>) =>
    Promise.all((["redis", "embedded"] as const).map((store) => scenario(servers[store], store)));

  it("a session left alone for longer than SESSION_IDLE_TIMEOUT is over, and its store entry gone", { timeout: 20_000 }, async () => {
    await bothStores(async (server, store) => {
      const c = server.client();
      await signUp(c, `idle-${store}`);
      const sid = sidOfClient(server, c);
      await sleep(IDLE_MS + 700);
      expect((await c.get("/auth/session")).body, store).toEqual({ authenticated: false });
      expect(await server.hasSession(sid), store).toBe(false);
    });
  });

  it("the idle timeout slides with use; the absolute timeout, counted from login, does not", { timeout: 20_000 }, async () => {
    await bothStores(async (server, store) => {
      const c = server.client();
      await signUp(c, `absolute-${store}`);
      const loggedInAt = Date.now();
      const answers: Array<{ at: number; authenticated: boolean; expiresAt?: number }> = [];
      while (Date.now() < loggedInAt + ABSOLUTE_MS + 1_200) {
        const at = Date.now();
        const body = (await c.get("/auth/session")).body;
        answers.push({ at, authenticated: body.authenticated, ...(body.expiresAt ? { expiresAt: Date.parse(body.expiresAt) } : {}) });
        await sleep(300);
      }
      const where = (answer: { at: number }) => `${store} at +${answer.at - loggedInAt} ms`;
      // Kept alive by use well past one idle period...
      const slid = answers.filter((a) => a.at <= loggedInAt + ABSOLUTE_MS - 800);
      expect(slid.at(-1)!.at - loggedInAt).toBeGreaterThan(IDLE_MS + 1_000);
      for (const answer of slid) expect(answer.authenticated, where(answer)).toBe(true);
      // ...never promised past the absolute deadline...
      for (const answer of answers.filter((a) => a.expiresAt !== undefined)) {
        expect(answer.expiresAt!, where(answer)).toBeLessThanOrEqual(loggedInAt + ABSOLUTE_MS + 50);
        expect(answer.expiresAt!, where(answer)).toBeGreaterThan(answer.at);
      }
      // ...and over once it passes, however busy the session is.
      const after = answers.filter((a) => a.at >= loggedInAt + ABSOLUTE_MS + 100);
      expect(after.length).toBeGreaterThan(0);
      for (const answer of after) expect(answer.authenticated, where(answer)).toBe(false);
      expect(await server.hasSession(sidOfClient(server, c)), store).toBe(false);
    });
  });
});

describe("log out everywhere: POST /auth/sessions/revoke-all", () => {
  let a: TestSessionServer;
  let b: TestSessionServer;
  beforeAll(async () => {
    const options = {
      redisUrl: redis.url,
      authService: legacy.url,
      sessionSecret: "revoke-all-shared-secret-0123456789abcdef",
      env: { UPSTREAMS: `echo=${echo.origin}/base` },
    };
    [a, b] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it(
    "ends every session of the user on both instances, revokes the caller's refresh token upstream, leaves no other one in the store, and leaves other users alone",
    { timeout: 20_000 },
    async () => {
      const first = a.client();
      const user = await signUp(first, "everywhere");
      const second = b.client();
      expect((await second.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
      const bystander = a.client();
      const other = await signUp(bystander, "bystander");
      for (const [, c] of [
        [a, first],
        [b, second],
        [a, bystander],
      ] as const)
        expect((await apiGet(c, "/api/echo/warm")).status).toBe(200);

      const sids = [sidOfClient(a, first), sidOfClient(b, second)];
      const grants = await Promise.all([first, second].map((c) => openedPasswordSession(a, c.jar.get(a.config.cookieName)!)));
      expect(new Set(grants.map((g) => g.refreshToken)).size).toBe(2);

      // CSRF-protected, and only for a signed-in caller.
      expect(
        (await first.request("POST", "/auth/sessions/revoke-all", undefined, { headers: { "x-csrf": undefined } })).body,
      ).toMatchObject({ error: "csrf_rejected" });
      expect((await first.post("/auth/sessions/revoke-all", undefined, { headers: { origin: "http://evil.example" } })).status).toBe(403);
      expect((await a.client().post("/auth/sessions/revoke-all")).body).toMatchObject({ error: "unauthenticated" });
      expect((await sameBrowser(b, second).get("/auth/session")).body.authenticated).toBe(true);

      const deletesBefore = legacy.requests.filter((r) => r.method === "DELETE").length;
      const revoked = await first.post("/auth/sessions/revoke-all");
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({ revoked: 2 });
      expect(revoked.setCookie.some((line) => line.startsWith(`${a.config.cookieName}=;`))).toBe(true);

      // Both sessions are over, on both instances, and for the gateway too (even with a JWT cached in memory).
      for (const c of [first, second]) {
        for (const server of [a, b]) {
          const tab = sameBrowser(server, c);
          expect((await tab.get("/auth/session")).body).toEqual({ authenticated: false });
          expect((await apiGet(tab, "/api/echo/after")).status).toBe(401);
        }
      }
      for (const sid of sids) expect(await a.running.backend.read(sid)).toBeNull();
      expect(await a.running.backend.kv.members(`user-sessions:${user.id}`)).toEqual([]);
      for (const sid of sids) expect(await a.running.backend.kv.get(`jwt:${sid}`)).toBeNull();

      // The caller's refresh token was revoked upstream (its cookie opens it). The other session's is sealed
      // under a key only that session's cookie carries: it is deleted with the session, so no copy of the store
      // can ever yield it, and it expires upstream on its own.
      const deletes = legacy.requests.filter((r) => r.method === "DELETE").slice(deletesBefore);
      expect(deletes.map((r) => r.path)).toEqual([grants[0]!.refreshTokenIri]);
      const answer = await request(`${legacy.url}${grants[0]!.userIri}`, {
        headers: { "refresh-token": grants[0]!.refreshToken, accept: "application/ld+json" },
      });
      await answer.body.dump();
      expect(answer.statusCode).toBe(403);
      expect(await a.storeSessionsOf(user.email)).toEqual([]);

      // The other user is untouched everywhere.
      for (const server of [a, b]) {
        const tab = sameBrowser(server, bystander);
        expect((await tab.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: other.id } });
        expect((await apiGet(tab, "/api/echo/still-here")).status).toBe(200);
      }
      // And the user can sign in again afterwards.
      expect((await first.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
      expect((await first.get("/auth/session")).body.authenticated).toBe(true);
    },
  );

  // Issue 12, finding 5: revoke-all used to delete the whole per-user index after ending what it had found, so a
  // login finishing meanwhile added itself to an index that was then dropped, and no later revoke-all could see it.
  it(
    "a session created while log out everywhere runs stays in the per-user index, so the next log out everywhere ends it",
    { timeout: 30_000 },
    async () => {
      const victim = a.client();
      const user = await signUp(victim, "race-victim");
      const attacker = b.client();
      legacy.fault = { delayMs: 1_200 };
      try {
        const attackerLogin = attacker.post("/auth/login", { email: user.email, password: PASSWORD });
        await sleep(250);
        const firstRevoke = victim.post("/auth/sessions/revoke-all");
        expect((await attackerLogin).status).toBe(200);
        expect((await firstRevoke).status).toBe(200);
        const attackerSid = sidOfClient(b, attacker);
        expect(await a.running.backend.kv.members(`user-sessions:${user.id}`)).toContain(attackerSid);

        expect((await victim.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
        const secondRevoke = await victim.post("/auth/sessions/revoke-all");
        expect(secondRevoke.status).toBe(200);
        expect(secondRevoke.body.revoked).toBe(2);
      } finally {
        legacy.fault = {};
      }
      for (const server of [a, b])
        expect((await sameBrowser(server, attacker).get("/auth/session")).body).toEqual({ authenticated: false });
      expect(await a.running.backend.kv.members(`user-sessions:${user.id}`)).toEqual([]);
    },
  );
});

describe("security 10: every Redis key has the ae: prefix and a TTL", () => {
  it(
    "after a full scenario: sessions, per-user index, JWT cache and locks, rate-limit counters, revoke-all and logout",
    { timeout: 30_000 },
    async () => {
      const server = await startTestSessionServer({
        redisUrl: redis.url,
        authService: legacy.url,
        env: { UPSTREAMS: `echo=${echo.origin}/base`, RATE_LIMIT_ACCOUNT_FAILURES: "2", RATE_LIMIT_ADDRESS_FAILURES: "50" },
      });
      const inspect = createClient({ url: redis.url });
      await inspect.connect();
      try {
        const c = server.client();
        const user = await signUp(c, "keys");
        expect((await apiGet(c, "/api/echo/x")).status).toBe(200);
        const other = server.client();
        expect((await other.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
        for (let i = 0; i < 3; i++) await server.client().post("/auth/login", { email: user.email, password: "wrong password" });
        expect((await server.client().post("/auth/login", { email: user.email, password: "wrong password" })).status).toBe(429);
        await server.client().post("/auth/signup", { email: "not an e-mail", password: PASSWORD });
        expect((await other.post("/auth/sessions/revoke-all")).status).toBe(200);
        const third = server.client();
        await signUp(third, "keys-2");
        expect((await apiGet(third, "/api/echo/y")).status).toBe(200);
        const fourth = server.client();
        await signUp(fourth, "keys-3");
        expect((await fourth.post("/auth/logout")).status).toBe(204);
        // Catch a JWT lock while it is held: a slow first gateway call.
        const fifth = server.client();
        await signUp(fifth, "keys-4");
        legacy.fault = { delayMs: 600, only: "jwt" };
        const slow = apiGet(fifth, "/api/echo/slow");
        await waitFor(async () => (await inspect.keys("ae:jwt-lock:*")).length > 0, 3_000, 10);

        const keys: string[] = [];
        for await (const batch of inspect.scanIterator({ COUNT: 1000 })) keys.push(...batch);
        const kinds = new Set(keys.map((key) => key.split(":").slice(0, 2).join(":")));
        for (const kind of ["ae:sess", "ae:user-sessions", "ae:jwt", "ae:jwt-lock", "ae:rl"]) expect([...kinds], kind).toContain(kind);
        expect(keys.some((key) => key.startsWith("ae:rl:acct:"))).toBe(true);
        expect(keys.some((key) => key.startsWith("ae:rl:addr:"))).toBe(true);
        const withoutTtl: string[] = [];
        for (const key of keys) {
          expect(key.startsWith("ae:"), key).toBe(true);
          const ttl = await inspect.pTTL(key);
          if (ttl <= 0 && ttl !== -2) withoutTtl.push(`${key} (${ttl})`); // -2: expired between SCAN and PTTL
        }
        expect(withoutTtl).toEqual([]);
        expect((await slow).status).toBe(200);
      } finally {
        legacy.fault = {};
        await inspect.close();
        await server.close();
      }
    },
  );
});
