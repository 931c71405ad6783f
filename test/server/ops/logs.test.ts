// Issue 6, structured logs (security 3): the session server writes pino JSON lines for the auth
// events (signup, login ok and failed, logout, log out everywhere, refresh failed, session expired),
// each with its event name and the user id where there is one; and a scan of every line written
// during a full scenario finds no refresh token, no JWT, no password and no session id (nor a cookie).
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../server/ops/logger.js";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { apiGet, bearerOf, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  cookieIdOf,
  openedSession,
  PASSWORD,
  sidOf,
  startTestSessionServer,
  type CookieClient,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const WRONG_PASSWORD = "wrong horse battery staple 7";

let redis: RedisServer;
let legacy: LegacyAuthService;
let echo: EchoUpstream;
let server: TestSessionServer;

beforeAll(async () => {
  redis = await startRedisServer();
  legacy = await startLegacyAuthService();
  echo = await startEchoUpstream();
  server = await startTestSessionServer({
    redisUrl: redis.url,
    authService: legacy.url,
    env: { UPSTREAMS: `echo=${echo.origin}/base`, RATE_LIMIT_ACCOUNT_FAILURES: "3", LOG_LEVEL: "debug" },
  });
});
afterAll(async () => {
  await server?.close();
  await legacy?.close();
  await echo?.close();
  await redis?.stop();
});

interface LogLine {
  level: number;
  time: string;
  service: string;
  msg: string;
  event?: string;
  userId?: string;
  [key: string]: unknown;
}

describe("auth event logs", () => {
  it(
    "a full scenario logs every auth event as JSON, and no line holds a refresh token, JWT, password or session id",
    { timeout: 30_000 },
    async () => {
      const clients: CookieClient[] = [];
      const sessionIds = new Set<string>();
      const cookies = new Set<string>();
      const refreshTokens = new Set<string>();
      const client = (): CookieClient => {
        const c = server.client();
        clients.push(c);
        return c;
      };
      /** Notes the client's current session id, cookie and refresh token (read from the store). */
      const note = async (c: CookieClient): Promise<void> => {
        const cookie = c.jar.get(server.config.cookieName);
        if (!cookie) return;
        const sid = sidOf(cookie);
        sessionIds.add(sid);
        sessionIds.add(cookieIdOf(cookie));
        cookies.add(cookie);
        cookies.add(decodeURIComponent(cookie));
        const token = (await openedSession(server, cookie))?.refreshToken;
        if (token) refreshTokens.add(token);
      };

      // Signup, login ok, login failed, the gateway (a JWT), logout.
      const alice = client();
      const aliceUser = await signUp(alice, "log-alice");
      await note(alice);
      const aliceAgain = client();
      expect((await aliceAgain.post("/auth/login", { email: aliceUser.email, password: PASSWORD })).status).toBe(200);
      await note(aliceAgain);
      expect((await client().post("/auth/login", { email: aliceUser.email, password: WRONG_PASSWORD })).status).toBe(401);
      expect((await client().post("/auth/login", { email: "nobody@example.org", password: WRONG_PASSWORD })).status).toBe(401);
      expect((await apiGet(alice, "/api/echo/notes")).status).toBe(200);
      expect((await alice.post("/auth/logout")).status).toBe(204);

      // Rate limited.
      for (let i = 0; i < 3; i++) await client().post("/auth/login", { email: aliceUser.email, password: WRONG_PASSWORD });
      expect((await client().post("/auth/login", { email: aliceUser.email, password: WRONG_PASSWORD })).status).toBe(429);

      // Refresh failed (a transient auth-service failure on the JWT request).
      const bob = client();
      const bobUser = await signUp(bob, "log-bob");
      await note(bob);
      legacy.fault = { status: 500, only: "jwt" };
      expect((await apiGet(bob, "/api/echo/x")).status).toBe(503);
      legacy.fault = {};
      expect((await apiGet(bob, "/api/echo/x")).status).toBe(200);

      // Log out everywhere.
      const bobElsewhere = client();
      expect((await bobElsewhere.post("/auth/login", { email: bobUser.email, password: PASSWORD })).status).toBe(200);
      await note(bobElsewhere);
      expect((await bobElsewhere.post("/auth/sessions/revoke-all")).status).toBe(200);

      // Session expired (the auth service refuses the refresh token).
      const carol = client();
      const carolUser = await signUp(carol, "log-carol");
      await note(carol);
      legacy.revokeAllTokens();
      expect((await apiGet(carol, "/api/echo/x")).body).toMatchObject({ error: "session_expired" });

      for (const request of legacy.requests) {
        const token = request.headers["refresh-token"];
        if (typeof token === "string" && token) refreshTokens.add(token);
      }
      const jwts = new Set(echo.requests.filter((r) => r.headers.authorization).map(bearerOf));
      expect(refreshTokens.size).toBeGreaterThanOrEqual(5);
      expect(jwts.size).toBeGreaterThanOrEqual(1);
      expect(sessionIds.size).toBeGreaterThanOrEqual(5);

      // Every line is pino JSON.
      const text = server.logs();
      const lines = text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as LogLine);
      for (const line of lines) {
        expect(line).toMatchObject({
          level: expect.any(Number),
          time: expect.any(String),
          service: "auth-elements",
          msg: expect.any(String),
        });
      }
      const events = (name: string) => lines.filter((line) => line.event === name);
      expect(events("signup_ok").map((line) => line.userId)).toEqual(expect.arrayContaining([aliceUser.id, bobUser.id, carolUser.id]));
      expect(events("login_ok").map((line) => line.userId)).toEqual(expect.arrayContaining([aliceUser.id, bobUser.id]));
      expect(events("login_failed").length).toBeGreaterThanOrEqual(2);
      expect(events("logout").map((line) => line.userId)).toContain(aliceUser.id);
      expect(events("logout_everywhere")).toEqual([expect.objectContaining({ userId: bobUser.id, sessions: 2 })]);
      expect(events("refresh_failed")).toEqual([expect.objectContaining({ userId: bobUser.id, code: "auth_unavailable" })]);
      expect(events("session_expired")).toEqual([expect.objectContaining({ userId: carolUser.id })]);

      // No secret anywhere in the logs (nor in any response).
      const secrets: Array<[string, string]> = [
        ...[...refreshTokens].map((t): [string, string] => ["refresh token", t]),
        ...[...jwts].flatMap((jwt): Array<[string, string]> => [
          ["JWT", jwt],
          ["JWT signature", jwt.split(".")[2]!],
        ]),
        ["password", PASSWORD],
        ["wrong password", WRONG_PASSWORD],
        ...[...sessionIds].map((sid): [string, string] => ["session id", sid]),
        ...[...cookies].map((cookie): [string, string] => ["session cookie", cookie]),
      ];
      for (const [kind, secret] of secrets) {
        if (text.includes(secret)) throw new Error(`a ${kind} appears in the logs`);
      }
      for (const c of clients) {
        for (const { method, path, response } of c.history) {
          const everything = response.text + JSON.stringify(response.headers);
          for (const [kind, secret] of secrets.filter(([k]) => k === "refresh token" || k.startsWith("JWT") || k.includes("password"))) {
            if (everything.includes(secret)) throw new Error(`a ${kind} appears in the response to ${method} ${path}`);
          }
        }
      }
    },
  );

  it("the logger redacts passwords, tokens, JWTs, cookies and auth headers even when a call site passes them", () => {
    let text = "";
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        text += chunk.toString("utf8");
        callback();
      },
    });
    const logger = createLogger("info", sink);
    logger.info(
      {
        password: "pw-secret-1",
        token: "token-secret-2",
        refreshToken: "refresh-secret-3",
        jwt: "jwt-secret-4",
        jwttoken: "jwt-secret-5",
        user: { password: "pw-secret-6", refreshToken: "refresh-secret-7" },
        headers: {
          authorization: "Bearer auth-secret-8",
          cookie: "auth.sid=cookie-secret-9",
          "refresh-token": "refresh-secret-10",
          "set-cookie": "cookie-secret-11",
        },
      },
      "careless call site",
    );
    expect(text).toContain("careless call site");
    expect(text).not.toMatch(/secret-\d+/);
  });
});
