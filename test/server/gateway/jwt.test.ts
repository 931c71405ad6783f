// The gateway's JWTs (issue 4, "Deliver" line 3 and the acceptance lines on counting, revocation and
// secrets; security.md 3 and 9): fetched lazily with the refresh token, cached outside the
// express-session object, single-flight, renewed shortly before `exp`; a refused refresh token ends
// the session, a transient failure keeps it; no response or log line ever carries a token.
// Both stores (embedded SQLite + in-process cache, and a real redis-server), against the 2019-dialect
// legacy auth service fixture, whose `counts.jwt` counts every `GET /api/users/<id>`.
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LEGACY_FAULT_DETAIL, startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { apiGet, bearerOf, expiryMs, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  openedPasswordSession,
  PASSWORD,
  sidOf,
  sleep,
  startTestSessionServer,
  type CookieClient,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const AUTH_TIMEOUT_MS = 800;
const SESSION_FIELDS = ["cookie", "createdAt", "refreshTokenIri", "sealed", "user", "userAgent", "userIri"];

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(["embedded", "redis"] as const)("gateway JWTs (%s store, legacy auth service)", (store) => {
  let legacy: LegacyAuthService;
  let echo: EchoUpstream;
  let server: TestSessionServer;
  let inspect: ReturnType<typeof createClient> | undefined;
  const clients: CookieClient[] = [];
  const refreshTokens = new Set<string>();
  const jwts = new Set<string>();

  beforeAll(async () => {
    legacy = await startLegacyAuthService();
    echo = await startEchoUpstream();
    server = await startTestSessionServer({
      redisUrl: store === "redis" ? redis.url : undefined,
      authService: legacy.url,
      // The bursts below are one session's: above the default per-session cap of 32 calls in flight.
      env: { UPSTREAMS: `echo=${echo.origin}/base`, AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS), GATEWAY_MAX_CALLS_PER_SESSION: "100" },
    });
    if (store === "redis") {
      inspect = createClient({ url: redis.url });
      await inspect.connect();
    }
  });
  afterAll(async () => {
    await inspect?.close();
    await server?.close();
    await legacy?.close();
    await echo?.close();
  });
  beforeEach(() => {
    legacy.fault = {};
    echo.reset();
  });
  afterEach(() => {
    legacy.fault = {};
    for (const request of echo.requests) if (request.headers.authorization) jwts.add(bearerOf(request));
  });

  const jwtRequests = (): number => legacy.counts.jwt;
  const sidOfClient = (c: CookieClient): string => sidOf(c.jar.get(server.config.cookieName)!);

  /** A fresh signed-in client; its refresh token is noted for the secrets check. */
  async function newSession(tag = store): Promise<{ c: CookieClient; id: string; email: string; sid: string }> {
    const c = server.client();
    clients.push(c);
    const before = jwtRequests();
    const user = await signUp(c, tag);
    expect(jwtRequests(), "signing up does not fetch a JWT").toBe(before);
    const sid = sidOfClient(c);
    refreshTokens.add((await openedPasswordSession(server, c.jar.get(server.config.cookieName)!)).refreshToken);
    return { c, sid, ...user };
  }

  it("21 sequential gateway calls in one session make exactly 1 JWT request", async () => {
    const { c } = await newSession();
    const before = jwtRequests();
    const fetchesBefore = server.running.jwtProvider.fetches;
    for (let i = 0; i < 21; i++) expect((await apiGet(c, `/api/echo/seq/${i}`)).status).toBe(200);
    expect(jwtRequests() - before).toBe(1);
    expect(server.running.jwtProvider.fetches - fetchesBefore).toBe(1);
    expect(echo.requests).toHaveLength(21);
    expect(new Set(echo.requests.map(bearerOf)).size).toBe(1);
  });

  it("50 concurrent first calls make exactly 1 JWT request (slow auth service)", async () => {
    const { c } = await newSession();
    legacy.fault = { delayMs: 150, only: "jwt" };
    const before = jwtRequests();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => apiGet(c, `/api/echo/burst/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(jwtRequests() - before).toBe(1);
    expect(new Set(echo.requests.map(bearerOf)).size).toBe(1);
  });

  it("50 concurrent first calls make exactly 1 JWT request (fast auth service)", async () => {
    const { c } = await newSession();
    const before = jwtRequests();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => apiGet(c, `/api/echo/burst/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(jwtRequests() - before).toBe(1);
  });

  it("the JWT is per session: a second session of the same user costs one more request, each keeps its own", async () => {
    const first = await newSession();
    const second = server.client();
    clients.push(second);
    const login = await second.post("/auth/login", { email: first.email, password: PASSWORD });
    expect(login.status).toBe(200);
    refreshTokens.add((await openedPasswordSession(server, second.jar.get(server.config.cookieName)!)).refreshToken);
    const before = jwtRequests();
    expect((await apiGet(first.c, "/api/echo/a")).status).toBe(200);
    expect((await apiGet(second, "/api/echo/b")).status).toBe(200);
    expect((await apiGet(first.c, "/api/echo/c")).status).toBe(200);
    expect((await apiGet(second, "/api/echo/d")).status).toBe(200);
    expect(jwtRequests() - before).toBe(2);
    const [a, b, c, d] = echo.requests.map(bearerOf);
    expect(a).toBe(c);
    expect(b).toBe(d);
  });

  it("the JWT lives outside the express-session object (and in Redis under its own key with a TTL before exp)", async () => {
    const { c, sid } = await newSession();
    expect((await apiGet(c, "/api/echo/outside")).status).toBe(200);
    const jwt = bearerOf(echo.requests[0]!);
    const stored = await server.rawSession(sid);
    expect(Object.keys(stored!).sort()).toEqual(SESSION_FIELDS);
    expect(JSON.stringify(stored)).not.toContain(jwt);
    // No field in the clear names a JWT. The sealed value is ciphertext (random base64url), which
    // spells "jwt" in some case about 1 run in 200, so it is checked for its shape instead.
    const { sealed, ...clear } = stored!;
    expect(JSON.stringify(clear)).not.toMatch(/jwt/i);
    expect(sealed).toMatch(/^v1\.[\w-]+$/);
    if (inspect) {
      const raw = await inspect.get(`ae:sess:${sid}`);
      expect(raw).not.toBeNull();
      expect(raw).not.toContain(jwt);
      // There, sealed: only the session's cookie opens it.
      const cached = await inspect.get(`ae:jwt:${sid}`);
      expect(cached).not.toBeNull();
      expect(cached).not.toContain(jwt);
      const ttl = await inspect.pTTL(`ae:jwt:${sid}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThan(expiryMs(jwt) - Date.now());
    }
  });

  it("concurrent gateway calls, session checks and another login never lose a session field", async () => {
    const { c, sid, id, email } = await newSession();
    const before = await server.rawSession(sid);
    const other = server.client();
    clients.push(other);
    const results = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => apiGet(c, `/api/echo/mixed/${i}`)),
      ...Array.from({ length: 10 }, () => c.get("/auth/session")),
      other.post("/auth/login", { email, password: PASSWORD }),
    ]);
    expect(results.map((r) => r.status)).toEqual([...Array(40).fill(200), 200]);
    refreshTokens.add((await openedPasswordSession(server, other.jar.get(server.config.cookieName)!)).refreshToken);
    const after = await server.rawSession(sid);
    // Nothing lost; the one change is what the first JWT answer said about the address (extension 6: verified).
    const user = before!.user as Record<string, unknown>;
    expect(after).toEqual({ ...before, user: { ...user, emailVerified: false } });
    const check = await c.get("/auth/session");
    expect(check.body).toMatchObject({ authenticated: true, user: { id, email } });
    expect((await apiGet(c, "/api/echo/still")).status).toBe(200);
  });

  it("a transient auth-service failure (500 on the JWT request) gives 503 and keeps the session", async () => {
    const { c, sid } = await newSession();
    legacy.fault = { status: 500, only: "jwt" };
    const before = jwtRequests();
    const responses = await Promise.all(Array.from({ length: 10 }, () => apiGet(c, "/api/echo/x")));
    for (const response of responses) {
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: "token_unavailable", message: expect.any(String) });
      expect(response.text).not.toContain("SQLSTATE");
      expect(response.text).not.toContain(LEGACY_FAULT_DETAIL);
    }
    expect(jwtRequests() - before).toBe(1);
    expect(echo.arrivals).toBe(0);
    expect(await server.hasSession(sid)).toBe(true);
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    legacy.fault = {};
    expect((await apiGet(c, "/api/echo/x")).status).toBe(200);
    expect(jwtRequests() - before).toBe(2);
  });

  it("an auth service that hangs on the JWT request: 503 within AUTH_TIMEOUT_MS, the session kept", async () => {
    const { c, sid } = await newSession();
    legacy.fault = { hangMs: 5_000, only: "jwt" };
    const started = Date.now();
    const response = await apiGet(c, "/api/echo/x");
    expect(response.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(AUTH_TIMEOUT_MS + 700);
    expect(await server.hasSession(sid)).toBe(true);
    legacy.fault = {};
    expect((await apiGet(c, "/api/echo/x")).status).toBe(200);
  });

  it("a revoked refresh token: 401 session_expired, then the session reads as anonymous and is gone from the store", async () => {
    const { c, sid, id } = await newSession();
    legacy.revokeAllTokens();
    const response = await apiGet(c, "/api/echo/x");
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: "session_expired", message: expect.any(String) });
    expect(echo.arrivals).toBe(0);
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(await server.hasSession(sid)).toBe(false);
    const again = await apiGet(c, "/api/echo/x");
    expect(again.status).toBe(401);
    expect(again.body.error).toBe("unauthenticated");
    if (inspect) {
      expect(await inspect.exists(`ae:jwt:${sid}`)).toBe(0);
      expect(await inspect.sIsMember(`ae:user-sessions:${id}`, sid)).toBe(0);
    }
  });

  it("a revoked refresh token ends the session at the next JWT renewal even while a JWT is cached", async () => {
    const { c, sid } = await newSession();
    expect((await apiGet(c, "/api/echo/x")).status).toBe(200);
    legacy.revokeAllTokens();
    // The cached JWT is still good: the gateway does not ask the auth service on every call.
    expect((await apiGet(c, "/api/echo/x")).status).toBe(200);
    // Once the cache entry is gone (as at renewal time), the refused refresh token ends the session.
    await server.running.jwtProvider.forget(sid);
    const response = await apiGet(c, "/api/echo/x");
    expect(response.status).toBe(401);
    expect(response.body.error).toBe("session_expired");
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it("a deleted user (404 on the JWT request): 401 session_expired, then anonymous", async () => {
    const { c, sid, id } = await newSession();
    legacy.deleteUser(id);
    const response = await apiGet(c, "/api/echo/x");
    expect(response.status).toBe(401);
    expect(response.body.error).toBe("session_expired");
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(await server.hasSession(sid)).toBe(false);
  });

  it("logout forgets the session's JWT", async () => {
    const { c, sid } = await newSession();
    expect((await apiGet(c, "/api/echo/x")).status).toBe(200);
    if (inspect) expect(await inspect.exists(`ae:jwt:${sid}`)).toBe(1);
    expect((await c.post("/auth/logout")).status).toBe(204);
    if (inspect) expect(await inspect.exists(`ae:jwt:${sid}`)).toBe(0);
    expect((await apiGet(c, "/api/echo/x")).status).toBe(401);
  });

  it("renews the JWT shortly before exp, never sends an expired one, and fetches no more than needed", async () => {
    const short = await startLegacyAuthService({ jwtLifetimeSeconds: 4 });
    const srv = await startTestSessionServer({
      redisUrl: store === "redis" ? redis.url : undefined,
      authService: short.url,
      env: { UPSTREAMS: `echo=${echo.origin}/base` },
    });
    try {
      const c = srv.client();
      await signUp(c, "renew");
      const calls: Array<{ t0: number; t1: number; count: number; jwt: string; receivedAt: number }> = [];
      const start = Date.now();
      while (Date.now() - start < 4_700) {
        const t0 = Date.now();
        const response = await apiGet(c, "/api/echo/renew");
        const t1 = Date.now();
        expect(response.status).toBe(200);
        const seen = echo.requests.at(-1)!;
        calls.push({ t0, t1, count: short.counts.jwt, jwt: bearerOf(seen), receivedAt: seen.receivedAt });
        await sleep(100);
      }
      const first = calls[0]!;
      const exp1 = expiryMs(first.jwt);
      // renewAt = exp - (exp - fetchedAt) / 4, fetchedAt within the first call.
      const renewEarliest = exp1 - (exp1 - first.t0) / 4;
      const renewLatest = exp1 - (exp1 - first.t1) / 4;
      const early = calls.filter((call) => call.t1 < renewEarliest - 5);
      const late = calls.filter((call) => call.t0 > renewLatest + 5);
      expect(early.length).toBeGreaterThan(5);
      expect(late.length).toBeGreaterThan(3);
      for (const call of early) {
        expect(call.count).toBe(1);
        expect(call.jwt).toBe(first.jwt);
      }
      for (const call of late) expect(call.jwt).not.toBe(first.jwt);
      expect(late[0]!.count).toBe(2);
      // Never an expired JWT, and always one with some life left (the renewal margin).
      for (const call of calls) expect(expiryMs(call.jwt) - call.receivedAt).toBeGreaterThan(500);
      // One auth-service request per distinct JWT: nothing fetched twice.
      const distinct = new Set(calls.map((call) => call.jwt));
      expect(short.counts.jwt).toBe(distinct.size);
      expect(distinct.size).toBeGreaterThanOrEqual(2);
      expect(distinct.size).toBeLessThanOrEqual(3);
      // Secrets stay out of this server's answers and logs too.
      const leakable = [...distinct, ...short.requests.map((r) => String(r.headers["refresh-token"] ?? "")).filter(Boolean)];
      const seenText = c.history.map((h) => h.response.text + JSON.stringify(h.response.headers)).join("\n") + srv.logs();
      for (const secret of leakable) expect(seenText.includes(secret)).toBe(false);
    } finally {
      await srv.close();
      await short.close();
    }
  });

  it("no response, header or log line carried a refresh token or a JWT (every test above)", async () => {
    for (const request of legacy.requests) {
      const token = request.headers["refresh-token"];
      if (typeof token === "string" && token) refreshTokens.add(token);
    }
    expect(refreshTokens.size).toBeGreaterThan(10);
    expect(jwts.size).toBeGreaterThanOrEqual(3); // 2019-dialect JWTs name no user: two issued in one second are identical
    const secrets = [...refreshTokens, ...jwts, ...[...jwts].map((jwt) => jwt.split(".")[2]!)];
    const responses = clients.flatMap((c) =>
      c.history.map((h) => ({ where: `${h.method} ${h.path}`, text: h.response.text + "\n" + JSON.stringify(h.response.headers) })),
    );
    expect(responses.length).toBeGreaterThan(100);
    const logs = server.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      for (const response of responses) {
        if (response.text.includes(secret)) throw new Error(`a secret leaked in the response to ${response.where}`);
      }
      if (logs.includes(secret)) throw new Error("a secret leaked into the logs");
    }
  });
});
