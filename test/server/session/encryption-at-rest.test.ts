// Security 35: a copy of the session store is not a key to the accounts. After a full scenario
// (signup, a second login, gateway calls that fill the JWT cache, a JWT renewal, a sign-in through an
// OIDC provider with a refresh that rotates its tokens, a provider logout link, a sign-in flow left
// half-way, a logout), everything a real redis-server holds (every key and its whole value) and the
// bytes of the embedded SQLite file (with its WAL) hold no refresh token, no JWT, no provider token
// and no cookie id; a store key taken from that copy, made into a cookie signed with the server's own
// SESSION_SECRET, is no session; and the real cookies still are (the copy was taken from a live
// store). Also: rotating SESSION_SECRET keeps sessions, and their sealed JWTs, working.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { sign } from "cookie-signature";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { apiGet, bearerOf, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import {
  newBrowser,
  oidcEnv,
  registerServers,
  signIn,
  startIdp,
  startSignIn,
  startVerifyingUpstream,
  type TestProvider,
  type VerifyingUpstream,
} from "../../helpers/oidc.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  cookieIdOf,
  openedSession,
  PASSWORD,
  sidOf,
  sleep,
  startTestSessionServer,
  uniqueEmail,
  type CookieClient,
  type TestSessionServer,
} from "../../helpers/session-server.js";
import { SESSION_KEY_PREFIX } from "../../../server/session/backend.js";
import { sessionKeys } from "../../../server/session/session-keys.js";

/** Short lives, so that the scenario renews both the auth service's JWT and the provider's access token. */
const JWT_LIFETIME_S = 2;
const ACCESS_TOKEN_TTL_S = 2;
const PAST_BOTH_MS = 2_200;

let redis: RedisServer;
let legacy: LegacyAuthService;
let echo: EchoUpstream;
let idp: TestProvider;
let api: VerifyingUpstream;

beforeAll(async () => {
  [redis, legacy, echo, idp] = await Promise.all([
    startRedisServer(),
    startLegacyAuthService({ jwtLifetimeSeconds: JWT_LIFETIME_S }),
    startEchoUpstream(),
    startIdp({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_S }),
  ]);
  api = await startVerifyingUpstream(idp);
});
afterAll(async () => {
  await Promise.all([api?.close(), echo?.close(), legacy?.close()]);
  await idp?.close();
  await redis?.stop();
});

/** Every key in the Redis database with its whole value, as text. */
async function dumpRedis(url: string): Promise<{ text: string; sessionKeys: string[] }> {
  const client = createClient({ url });
  await client.connect();
  try {
    const parts: string[] = [];
    const sessionKeys: string[] = [];
    for await (const keys of client.scanIterator({ COUNT: 1000 })) {
      for (const key of keys) {
        const type = await client.type(key);
        const value =
          type === "string"
            ? await client.get(key)
            : type === "set"
              ? (await client.sMembers(key)).join("\n")
              : type === "hash"
                ? JSON.stringify(await client.hGetAll(key))
                : type === "list"
                  ? (await client.lRange(key, 0, -1)).join("\n")
                  : type === "zset"
                    ? (await client.zRange(key, 0, -1)).join("\n")
                    : `<${type}>`;
        parts.push(`${key}\n${value}`);
        if (key.startsWith(SESSION_KEY_PREFIX)) sessionKeys.push(key.slice(SESSION_KEY_PREFIX.length));
      }
    }
    return { text: parts.join("\n"), sessionKeys };
  } finally {
    await client.close();
  }
}

/** The bytes of the session store's SQLite files (the database, its WAL and shared memory), and the keys it holds. */
function dumpSqlite(dataDir: string): { text: string; sessionKeys: string[] } {
  const files = readdirSync(dataDir).filter((name) => name.startsWith("sessions.sqlite"));
  expect(files).toContain("sessions.sqlite");
  const text = files.map((name) => readFileSync(path.join(dataDir, name)).toString("latin1")).join("\n");
  const db = new Database(path.join(dataDir, "sessions.sqlite"), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT sid FROM sessions").all() as Array<{ sid: string }>;
    return { text, sessionKeys: rows.map((row) => row.sid) };
  } finally {
    db.close();
  }
}

describe.each(STORE_MODES)("security 35: a copy of the session store (%s) is no key to the accounts", (store) => {
  let server: TestSessionServer;
  const clientId = `at-rest-${store}`;

  beforeAll(async () => {
    server = await startTestSessionServer({
      redisUrl: store === "redis" ? redis.url : undefined,
      authService: legacy.url,
      env: oidcEnv(idp, { clientId, extra: { UPSTREAMS: `echo=${echo.origin}/base,api=${api.origin}` } }),
    });
    registerServers(idp, [server.url], { clientId });
  });
  afterAll(async () => {
    await server?.close();
  });

  it(
    `security 35: after a full scenario the ${store} store holds no refresh token, JWT, provider token or cookie id, and none of its keys is a cookie`,
    {
      timeout: 60_000,
    },
    async () => {
      const secrets = new Map<string, string>();
      const note = (what: string, value: string | undefined): void => {
        if (value !== undefined && value.length >= 16) secrets.set(value, what);
      };
      const noteCookie = async (c: CookieClient): Promise<void> => {
        const value = c.jar.get(server.config.cookieName)!;
        note("cookie", value);
        note("cookie (decoded)", decodeURIComponent(value));
        note("cookie id", cookieIdOf(value));
        const opened = await openedSession(server, value);
        note("refresh token", opened?.refreshToken);
        note("provider access token", opened?.provider?.accessToken);
        note("provider refresh token", opened?.provider?.refreshToken);
        note("provider ID token", opened?.provider?.idToken);
        // The rotated tokens a refresh keeps beside the record, as the cookie opens them.
        const rotated = sessionKeys(cookieIdOf(value)).secret.open<{ tokens: Record<string, string> }>(
          "provider-tokens",
          await server.running.backend.kv.get(`oidc-tokens:${sidOf(value)}`),
        );
        for (const [name, token] of Object.entries(rotated?.tokens ?? {})) if (typeof token === "string") note(`rotated ${name}`, token);
      };

      // Password sessions: signup, a second login, gateway calls (the JWT cache fills), a renewal.
      const alice = server.client();
      const user = await signUp(alice, `at-rest-${store}`);
      const aliceElsewhere = server.client();
      expect((await aliceElsewhere.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
      for (const c of [alice, aliceElsewhere]) expect((await apiGet(c, "/api/echo/first")).status).toBe(200);

      // A provider session: sign in, a call with its access token, a provider logout link for another one.
      const oidcBrowser = newBrowser(server.client());
      expect((await signIn(oidcBrowser, uniqueEmail("at-rest-oidc"))).status).toBe(302);
      expect((await apiGet(oidcBrowser.rp, "/api/api/first")).status).toBe(200);
      const leaving = newBrowser(server.client());
      await signIn(leaving, uniqueEmail("at-rest-leaving"));
      await noteCookie(leaving.rp);
      const logout = await leaving.rp.post("/auth/logout");
      expect(logout.status).toBe(200);
      expect(logout.body.logoutUrl).toMatch(/\/end-session\?handle=/);
      // A sign-in started by a signed-in browser and left at the provider: its flow is in the store.
      expect((await startSignIn(newBrowser(alice), "/back")).status).toBe(302);

      // Past both lifetimes: the JWTs are fetched again, the provider's tokens refreshed (and rotated).
      await sleep(PAST_BOTH_MS);
      const refreshesBefore = idp.counts.refreshToken;
      const jwtsBefore = legacy.counts.jwt;
      for (const c of [alice, aliceElsewhere]) expect((await apiGet(c, "/api/echo/renewed")).status).toBe(200);
      expect((await apiGet(oidcBrowser.rp, "/api/api/renewed")).status).toBe(200);
      expect(legacy.counts.jwt - jwtsBefore).toBeGreaterThanOrEqual(2);
      expect(idp.counts.refreshToken - refreshesBefore).toBeGreaterThanOrEqual(1);

      for (const c of [alice, aliceElsewhere, oidcBrowser.rp]) await noteCookie(c);
      for (const request of echo.requests) if (request.headers.authorization) note("JWT", bearerOf(request));
      for (const call of api.calls) note("provider access token (as sent)", call.token);
      const kinds = new Set(secrets.values());
      for (const kind of ["cookie id", "refresh token", "JWT", "provider access token", "provider refresh token", "provider ID token"]) {
        expect(kinds, kind).toContain(kind);
      }
      expect(kinds).toContain("rotated refreshToken");

      const dump = store === "redis" ? await dumpRedis(redis.url) : dumpSqlite(server.dataDir);
      // The copy is a real one: it holds the sessions (their clear fields, their sealed tokens).
      expect(dump.text).toContain(user.email);
      expect(dump.text).toMatch(/"sealed":"v1\./);
      expect(dump.sessionKeys.length).toBeGreaterThanOrEqual(3);
      const found = [...secrets].filter(([secret]) => dump.text.includes(secret)).map(([, what]) => what);
      expect(found).toEqual([]);

      // A store key made into a cookie, signed with the server's own secret (the copy and the config both leaked): no session.
      for (const key of dump.sessionKeys) {
        const forged = server.client();
        forged.jar.set(server.config.cookieName, encodeURIComponent(`s:${sign(key, server.sessionSecret)}`));
        expect((await forged.get("/auth/session")).body).toEqual({ authenticated: false });
        expect((await apiGet(forged, "/api/echo/forged")).status).toBe(401);
      }
      // While the real cookies still are sessions.
      for (const c of [alice, aliceElsewhere, oidcBrowser.rp]) {
        expect((await c.get("/auth/session")).body.authenticated).toBe(true);
        expect((await apiGet(c, c === oidcBrowser.rp ? "/api/api/still" : "/api/echo/still")).status).toBe(200);
      }
    },
  );
});

describe("security 35: SESSION_SECRET rotation", () => {
  let before: TestSessionServer;
  let after: TestSessionServer;
  const OLD = "the-old-session-secret-0123456789abcdef";
  const NEW = "the-new-session-secret-0123456789abcdef";

  beforeAll(async () => {
    const options = { redisUrl: redis.url, authService: legacy.url, env: { UPSTREAMS: `echo=${echo.origin}/base` } };
    [before, after] = await Promise.all([
      startTestSessionServer({ ...options, sessionSecret: OLD }),
      startTestSessionServer({ ...options, sessionSecret: `${NEW},${OLD}` }),
    ]);
  });
  afterAll(async () => {
    await before?.close();
    await after?.close();
  });

  it("security 35: with SESSION_SECRET rotated (new first, old kept) a session made under the old secret still works, its sealed JWT included", async () => {
    const old = before.client();
    const user = await signUp(old, "rotation");
    expect((await apiGet(old, "/api/echo/under-old")).status).toBe(200);
    const jwtsBefore = legacy.counts.jwt;

    // The same cookie on the instance whose newest secret is the new one.
    const rotated = after.client();
    rotated.jar.set(after.config.cookieName, old.jar.get(before.config.cookieName)!);
    expect((await rotated.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id: user.id } });
    expect((await apiGet(rotated, "/api/echo/under-new")).status).toBe(200);
    // The JWT the old instance cached (sealed) opened here: no new JWT request.
    expect(legacy.counts.jwt).toBe(jwtsBefore);
    const [first, second] = echo.requests.slice(-2);
    expect(bearerOf(second!)).toBe(bearerOf(first!));

    // A new login is signed with the new secret, and works; logout with the old cookie ends it everywhere.
    const fresh = after.client();
    expect((await fresh.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
    const freshCookie = decodeURIComponent(fresh.jar.get(after.config.cookieName)!);
    expect(freshCookie).toBe(`s:${sign(cookieIdOf(freshCookie), NEW)}`);
    expect((await apiGet(fresh, "/api/echo/fresh")).status).toBe(200);
    expect((await rotated.post("/auth/logout")).status).toBe(204);
    expect((await old.get("/auth/session")).body).toEqual({ authenticated: false });
    expect((await fresh.get("/auth/session")).body.authenticated).toBe(true);
  });
});
