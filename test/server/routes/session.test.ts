// The /auth API of design.md's route table, end to end over HTTP, in every mode: embedded store and
// Redis, reference auth service and the 2019-dialect legacy fixture.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MATRIX, startMode, type ModeSetup } from "../../helpers/auth-modes.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  type CookieClient,
  openedPasswordSession,
  PASSWORD,
  parseSetCookie,
  sidOf,
  uniqueEmail,
  type TestResponse,
} from "../../helpers/session-server.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_V1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** All headers but Date, which differs by the clock alone. */
function headersWithoutDate(response: TestResponse): Record<string, unknown> {
  const { date: _date, ...rest } = response.headers;
  return rest;
}

function expectErrorShape(response: TestResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.header("content-type")).toMatch(/^application\/json/);
  expect(response.body).toMatchObject({ error: code, message: expect.any(String) });
  expect(response.body.message.length).toBeGreaterThan(0);
}

describe.each(MATRIX)("/auth routes ($store store, $auth auth service)", (mode) => {
  let setup: ModeSetup;
  const clients: CookieClient[] = [];
  const client = (): CookieClient => {
    const c = setup.server.client();
    clients.push(c);
    return c;
  };

  /** Signs up a fresh user on a fresh client. */
  async function signedUp(): Promise<{ c: CookieClient; email: string; response: TestResponse }> {
    const c = client();
    const email = uniqueEmail(mode.auth);
    const response = await c.post("/auth/signup", { email, password: PASSWORD });
    expect(response.status).toBe(201);
    return { c, email, response };
  }

  /** What the session server holds for this client's session (refresh token and IRIs). */
  async function storedSession(c: CookieClient) {
    const value = c.jar.get(setup.server.config.cookieName);
    expect(value).toBeDefined();
    return openedPasswordSession(setup.server, value!);
  }

  /** Asks the auth service directly whether a refresh token is still good (GET /api/users/<id> with it). */
  async function refreshTokenStatus(userIri: string, token: string): Promise<number> {
    const response = await fetch(setup.server.running.authServiceUrl + userIri, {
      headers: { accept: "application/ld+json", "REFRESH-TOKEN": token },
    });
    await response.arrayBuffer();
    return response.status;
  }

  beforeAll(async () => {
    setup = await startMode(mode, redis);
  });
  afterAll(async () => {
    await setup?.close();
  });

  describe("GET /auth/session", () => {
    it("anonymous: 200 {authenticated:false} and no Set-Cookie", async () => {
      const response = await client().get("/auth/session");
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ authenticated: false });
      expect(response.setCookie).toEqual([]);
    });

    it("security 5: an anonymous GET /auth/session sets no cookie and writes nothing to the store", async () => {
      const before = await setup.server.storeSize();
      const c = client();
      for (let i = 0; i < 5; i++) {
        const response = await c.get("/auth/session");
        expect(response.body).toEqual({ authenticated: false });
        expect(response.setCookie).toEqual([]);
      }
      // A forged or stale cookie changes nothing either.
      const forged = await c.get("/auth/session", {
        headers: { cookie: `${setup.server.config.cookieName}=s%3Anot-a-session.bad-signature` },
      });
      expect(forged.body).toEqual({ authenticated: false });
      expect(forged.setCookie).toEqual([]);
      expect(await setup.server.storeSize()).toBe(before);
    });

    it("signed in: 200 with user {id, email} and an ISO expiresAt", async () => {
      const { c, email, response } = await signedUp();
      const session = await c.get("/auth/session");
      expect(session.status).toBe(200);
      expect(session.body).toEqual({ authenticated: true, user: response.body.user, expiresAt: expect.stringMatching(ISO) });
      expect(session.body.user.email).toBe(email);
      expect(session.setCookie).toEqual([]); // reading a session does not re-send the cookie
    });
  });

  describe("POST /auth/signup", () => {
    it("201 with the authenticated body: user {id, email}, ISO expiresAt in the future, and signs in", async () => {
      const { c, email, response } = await signedUp();
      expect(response.body).toEqual({
        authenticated: true,
        // The reference service's login answer says whether the address is verified (a new one is not); the 2019 one does not.
        user: { id: expect.stringMatching(UUID), email, ...(mode.auth === "reference" ? { emailVerified: false } : {}) },
        expiresAt: expect.stringMatching(ISO),
      });
      expect(Date.parse(response.body.expiresAt)).toBeGreaterThan(Date.now());
      expect(response.setCookie).toHaveLength(1);
      if (mode.auth === "legacy") {
        // The 2019 service makes MySQL UUID v1 ids; the user id is the last segment of the user IRI.
        expect(response.body.user.id).toMatch(UUID_V1);
        expect(setup.legacy!.users.get(response.body.user.id)?.email).toBe(email);
      }
      const session = await c.get("/auth/session");
      expect(session.body.authenticated).toBe(true);
      expect(session.body.user).toEqual(response.body.user);
    });

    it("422 validation_failed already_used for a duplicate e-mail, and no cookie", async () => {
      const { email } = await signedUp();
      const response = await client().post("/auth/signup", { email, password: PASSWORD });
      expectErrorShape(response, 422, "validation_failed");
      expect(response.body.violations).toEqual([{ field: "email", code: "already_used", message: expect.any(String) }]);
      expect(response.setCookie).toEqual([]);
    });

    it("422 validation_failed too_short for a short password", async () => {
      const response = await client().post("/auth/signup", { email: uniqueEmail(), password: "short" });
      expectErrorShape(response, 422, "validation_failed");
      expect(response.body.violations).toEqual([{ field: "password", code: "too_short", message: expect.stringMatching(/short/i) }]);
      expect(response.setCookie).toEqual([]);
    });

    it("422 validation_failed invalid_email for a malformed e-mail", async () => {
      const response = await client().post("/auth/signup", { email: "not-an-email", password: PASSWORD });
      expectErrorShape(response, 422, "validation_failed");
      expect(response.body.violations).toEqual([{ field: "email", code: "invalid_email", message: expect.any(String) }]);
    });

    it("422 validation_failed required for blank or missing fields", async () => {
      for (const body of [{ email: "", password: "" }, { email: "   ", password: "" }, {}]) {
        const response = await client().post("/auth/signup", body);
        expectErrorShape(response, 422, "validation_failed");
        expect(response.body.violations).toEqual([
          { field: "email", code: "required", message: expect.any(String) },
          { field: "password", code: "required", message: expect.any(String) },
        ]);
      }
    });

    it("400 bad_request for wrong types", async () => {
      for (const body of [
        { email: 42, password: PASSWORD },
        { email: uniqueEmail(), password: ["x"] },
        { email: null, password: PASSWORD },
        [uniqueEmail(), PASSWORD],
      ]) {
        const response = await client().post("/auth/signup", body);
        expectErrorShape(response, 400, "bad_request");
        expect(response.setCookie).toEqual([]);
      }
    });
  });

  describe("POST /auth/login", () => {
    it("200 with the authenticated body, from an anonymous client", async () => {
      const { email, response: signup } = await signedUp();
      const c = client();
      const response = await c.post("/auth/login", { email, password: PASSWORD });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ authenticated: true, user: signup.body.user, expiresAt: expect.stringMatching(ISO) });
      expect(response.setCookie).toHaveLength(1);
      expect((await c.get("/auth/session")).body.user).toEqual(signup.body.user);
    });

    it("security 4: login regenerates the session id and deletes the old store key", async () => {
      const { c, email } = await signedUp();
      const cookieName = setup.server.config.cookieName;
      const oldValue = c.jar.get(cookieName)!;
      const oldSid = sidOf(oldValue);
      expect(await setup.server.hasSession(oldSid)).toBe(true);

      const response = await c.post("/auth/login", { email, password: PASSWORD });
      expect(response.status).toBe(200);
      const newValue = c.jar.get(cookieName)!;
      expect(newValue).not.toBe(oldValue);
      expect(sidOf(newValue)).not.toBe(oldSid);
      expect(await setup.server.hasSession(oldSid)).toBe(false);
      expect(await setup.server.hasSession(sidOf(newValue))).toBe(true);

      const old = await client().get("/auth/session", { headers: { cookie: `${cookieName}=${oldValue}` } });
      expect(old.body).toEqual({ authenticated: false });
      expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    });

    it("security 4: logging in again also revokes the replaced session's refresh token (no token is left without a session)", async () => {
      const { c, email } = await signedUp();
      const replaced = await storedSession(c);
      expect((await c.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
      const current = await storedSession(c);
      expect(current.refreshToken).not.toBe(replaced.refreshToken);
      expect(await refreshTokenStatus(replaced.userIri, replaced.refreshToken)).toBe(403);
      expect(await refreshTokenStatus(current.userIri, current.refreshToken)).toBe(200);
    });

    it("security 4: a session id planted before login (fixation) is not kept", async () => {
      const { c: victim, email } = await signedUp();
      const planted = victim.jar.get(setup.server.config.cookieName)!;
      // The attacker's cookie (a real, signed session id) is sent with the victim's login.
      const c = client();
      const response = await c.post(
        "/auth/login",
        { email, password: PASSWORD },
        { headers: { cookie: `${setup.server.config.cookieName}=${planted}` } },
      );
      expect(response.status).toBe(200);
      expect(c.jar.get(setup.server.config.cookieName)).not.toBe(planted);
    });

    it("security 11: unknown e-mail and wrong password get identical status, body and headers (401 invalid_credentials)", async () => {
      const { email } = await signedUp();
      const wrongPassword = await client().post("/auth/login", { email, password: "wrong password 123" });
      const unknownEmail = await client().post("/auth/login", { email: uniqueEmail("nobody"), password: "wrong password 123" });
      expectErrorShape(wrongPassword, 401, "invalid_credentials");
      expect(unknownEmail.status).toBe(wrongPassword.status);
      expect(unknownEmail.text).toBe(wrongPassword.text);
      expect(headersWithoutDate(unknownEmail)).toEqual(headersWithoutDate(wrongPassword));
      expect(wrongPassword.setCookie).toEqual([]);
      expect(wrongPassword.body).toEqual({ error: "invalid_credentials", message: expect.any(String) });
    });

    it("a blank e-mail or password is 401 invalid_credentials, not a hint", async () => {
      const response = await client().post("/auth/login", { email: "", password: "" });
      expectErrorShape(response, 401, "invalid_credentials");
    });

    it("400 bad_request for wrong types or missing fields", async () => {
      for (const body of [
        { email: 1, password: PASSWORD },
        { email: uniqueEmail(), password: true },
        { email: uniqueEmail() },
        ["a", "b"],
      ]) {
        const response = await client().post("/auth/login", body);
        expectErrorShape(response, 400, "bad_request");
      }
    });

    it("a failed login keeps the current session", async () => {
      const { c, email } = await signedUp();
      const failed = await c.post("/auth/login", { email, password: "not the password" });
      expect(failed.status).toBe(401);
      expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    });
  });

  describe("POST /auth/logout", () => {
    it("security 6: logout deletes the store key, clears the cookie with matching attributes, revokes the refresh token upstream, and the old cookie answers anonymous", async () => {
      const { c } = await signedUp();
      const cookieName = setup.server.config.cookieName;
      const value = c.jar.get(cookieName)!;
      const sid = sidOf(value);
      const stored = await storedSession(c);
      expect(await refreshTokenStatus(stored.userIri, stored.refreshToken)).toBe(200);
      const deletesBefore = setup.legacy?.counts.logout ?? 0;

      const response = await c.post("/auth/logout");
      expect(response.status).toBe(204);
      expect(response.text).toBe("");
      expect(await setup.server.hasSession(sid)).toBe(false);

      // Upstream: DELETE /api/refresh_tokens/<id> with the token, and the token no longer works.
      expect(await refreshTokenStatus(stored.userIri, stored.refreshToken)).toBe(403);
      if (setup.legacy) {
        expect(setup.legacy.counts.logout).toBe(deletesBefore + 1);
        const deletion = setup.legacy.requests.filter((r) => r.method === "DELETE").at(-1)!;
        expect(deletion.path).toBe(stored.refreshTokenIri);
        expect(deletion.headers["refresh-token"]).toBe(stored.refreshToken);
        expect(deletion.headers.accept).toBe("application/ld+json");
      }

      // The cookie is cleared with the attributes it was set with.
      expect(response.setCookie).toHaveLength(1);
      const cleared = parseSetCookie(response.setCookie[0]!);
      expect(cleared.name).toBe(cookieName);
      expect(cleared.value).toBe("");
      expect(cleared.attributes).toMatchObject({ path: "/", httponly: "", samesite: "Strict" });
      expect(cleared.attributes).not.toHaveProperty("domain");
      expect(cleared.attributes).not.toHaveProperty("secure");
      expect(Date.parse(cleared.attributes.expires!)).toBeLessThan(Date.now());
      expect(c.jar.has(cookieName)).toBe(false);

      const old = await client().get("/auth/session", { headers: { cookie: `${cookieName}=${value}` } });
      expect(old.body).toEqual({ authenticated: false });
    });

    it("is idempotent: a second logout with the old cookie and a logout without any cookie are 204", async () => {
      const { c } = await signedUp();
      const cookieName = setup.server.config.cookieName;
      const value = c.jar.get(cookieName)!;
      expect((await c.post("/auth/logout")).status).toBe(204);
      const again = await client().post("/auth/logout", undefined, { headers: { cookie: `${cookieName}=${value}` } });
      expect(again.status).toBe(204);
      expect(again.setCookie).toHaveLength(1);
      const anonymous = await client().post("/auth/logout");
      expect(anonymous.status).toBe(204);
      // No body needs no Content-Type; an empty JSON object is fine too.
      expect((await client().post("/auth/logout", {})).status).toBe(204);
    });

    it("404 upstream (the token is already gone) counts as done", async () => {
      const { c } = await signedUp();
      const stored = await storedSession(c);
      // Revoke behind the session server's back, so its DELETE meets a 404.
      const revoke = await fetch(setup.server.running.authServiceUrl + stored.refreshTokenIri, {
        method: "DELETE",
        headers: { accept: "application/ld+json", "REFRESH-TOKEN": stored.refreshToken },
      });
      expect(revoke.status).toBe(204);
      const response = await c.post("/auth/logout");
      expect(response.status).toBe(204);
      expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
    });
  });

  it("security 3: the refresh token never appears in a response body, header or cookie, nor in the logs", async () => {
    const c = client();
    const email = uniqueEmail();
    await c.post("/auth/signup", { email, password: PASSWORD });
    const first = await storedSession(c);
    await c.get("/auth/session");
    await c.post("/auth/login", { email, password: PASSWORD });
    const second = await storedSession(c);
    await c.get("/auth/session");
    await c.post("/auth/login", { email, password: "wrong password" });
    await c.post("/auth/logout");
    const tokens = [first.refreshToken, second.refreshToken];
    for (const token of tokens) expect(token.length).toBeGreaterThanOrEqual(32);
    for (const { response } of c.history) {
      const everything = response.text + JSON.stringify(response.headers);
      for (const token of tokens) expect(everything).not.toContain(token);
    }
    for (const token of tokens) expect(setup.server.logs()).not.toContain(token);
    expect(setup.server.logs()).not.toContain(PASSWORD);
  });

  it("unknown routes under /auth and elsewhere: 404 not_found; wrong methods: 405 with Allow", async () => {
    const c = client();
    for (const [method, path] of [
      ["GET", "/auth/nothing"],
      ["POST", "/auth/nothing"],
      ["GET", "/nothing"],
      ["GET", "/auth"],
      ["GET", "/auth/session/extra"],
    ] as const) {
      expectErrorShape(await c.request(method, path), 404, "not_found");
    }
    for (const [method, path, allow] of [
      ["GET", "/auth/login", "POST"],
      ["GET", "/auth/signup", "POST"],
      ["GET", "/auth/logout", "POST"],
      ["DELETE", "/auth/session", "GET, HEAD"],
      ["PUT", "/auth/login", "POST"],
    ] as const) {
      const response = await c.request(method, path);
      expectErrorShape(response, 405, "method_not_allowed");
      expect(response.header("allow")).toBe(allow);
    }
  });

  it("GET /healthz is 200 and GET /readyz is 200 when the store and the auth service answer", async () => {
    const c = client();
    const health = await c.get("/healthz");
    expect(health.status).toBe(200);
    const ready = await c.get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ checks: { sessionStore: "ok", authService: "ok" } });
  });

  it("every /auth response above carried Cache-Control: no-store and no stack trace", () => {
    const seen = clients.flatMap((c) => c.history).filter((entry) => entry.path.startsWith("/auth"));
    expect(seen.length).toBeGreaterThan(50);
    for (const { method, path, response } of seen) {
      expect({ method, path, cacheControl: response.header("cache-control") }).toEqual({ method, path, cacheControl: "no-store" });
      expect(response.text).not.toMatch(/\bat \S+ \(|node:internal|\.ts:\d+/);
    }
  });
});
