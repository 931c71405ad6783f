// The account lifecycle through the session server (design.md "Account lifecycle"), on both stores and against both
// the reference auth service and the 2019-dialect legacy fixture with extensions 5-7 and AUTH_FEATURES set, so an
// external auth service behaves the same: GET /auth/config; a reset link mailed, followed, signing in and ending every
// other session; e-mail verification showing at once; the password change with re-authentication; the user's
// sessions with opaque public ids, ending one or all. Then: features off answer 404; verification required.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MATRIX, startMode, type AuthMode, type ModeSetup } from "../../helpers/auth-modes.js";
import { apiGet, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { devMailbox, legacyMailbox, type Mailbox } from "../../helpers/mailbox.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import { cookieIdOf, PASSWORD, sidOf, uniqueEmail, type CookieClient, type TestResponse } from "../../helpers/session-server.js";

const CHROME_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const NEW_PASSWORD = "a completely new passphrase";
const LEGACY_FEATURES = "password-reset,email-verification,password-change";

let redis: RedisServer;
let echo: EchoUpstream;
beforeAll(async () => {
  [redis, echo] = await Promise.all([startRedisServer(), startEchoUpstream()]);
});
afterAll(async () => {
  await echo?.close();
  await redis?.stop();
});

function mailboxOf(setup: ModeSetup): Mailbox {
  return setup.legacy ? legacyMailbox(setup.legacy) : devMailbox(`${setup.server.dataDir}/mail`);
}

/** Headers a client can compare across answers: everything but the date. */
function comparableHeaders(response: TestResponse): Record<string, unknown> {
  const { date: _date, ...rest } = response.headers;
  return rest;
}

async function startAccountMode(mode: { store: "embedded" | "redis"; auth: AuthMode }, env: Record<string, string> = {}) {
  return startMode(mode, redis, {
    UPSTREAMS: `echo=${echo.origin}/base`,
    ...(mode.auth === "legacy" ? { AUTH_FEATURES: LEGACY_FEATURES } : {}),
    ...env,
  });
}

describe.each(MATRIX)("account lifecycle ($store store, $auth auth service)", (mode) => {
  let setup: ModeSetup;
  let mailbox: Mailbox;
  const client = (userAgent = CHROME_ON_LINUX): CookieClient => setup.server.client({ headers: { "user-agent": userAgent } });
  const sidOfClient = (c: CookieClient): string => sidOf(c.jar.get(setup.server.config.cookieName)!);
  const sameBrowser = (from: CookieClient): CookieClient => {
    const c = client();
    for (const [name, value] of from.jar) c.jar.set(name, value);
    return c;
  };
  async function signedUp(userAgent?: string): Promise<{ c: CookieClient; email: string; id: string }> {
    const c = client(userAgent);
    const email = uniqueEmail(`acct-${mode.auth}`);
    const response = await c.post("/auth/signup", { email, password: PASSWORD });
    expect(response.status).toBe(201);
    return { c, email, id: response.body.user.id as string };
  }
  async function signedIn(email: string, password = PASSWORD, userAgent?: string): Promise<CookieClient> {
    const c = client(userAgent);
    expect((await c.post("/auth/login", { email, password })).status).toBe(200);
    return c;
  }

  beforeAll(async () => {
    setup = await startAccountMode(mode);
    mailbox = mailboxOf(setup);
  });
  afterAll(async () => {
    await setup?.close();
  });

  it("GET /auth/config says what is offered, public and cacheable for 60 s, the same signed in or not", async () => {
    const anonymous = await client().get("/auth/config");
    expect(anonymous.status).toBe(200);
    expect(anonymous.header("cache-control")).toBe("public, max-age=60");
    expect(anonymous.body).toEqual({
      passwordReset: true,
      emailVerification: "optional",
      passkeys: mode.auth === "reference",
      providers: [],
      minPasswordLength: 8,
    });
    expect(anonymous.setCookie).toEqual([]);
    const { c } = await signedUp();
    const signed = await c.get("/auth/config");
    expect(signed.body).toEqual(anonymous.body);
    expect(signed.setCookie).toEqual([]);
  });

  it("password reset: the mailed link sets a new password, signs this browser in and ends every other session at once", async () => {
    const { c: first, email, id } = await signedUp();
    const second = await signedIn(email, PASSWORD, FIREFOX_ON_WINDOWS);
    const firstSid = sidOfClient(first);
    const requester = client();
    const asked = await requester.post("/auth/password-reset", { email });
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual({});
    expect(asked.setCookie).toEqual([]);
    const mail = await mailbox.next(email, "reset");
    expect(mail.link.startsWith(`${setup.server.url}/reset-password?token=`)).toBe(true);

    const confirmed = await requester.post("/auth/password-reset/confirm", { token: mail.token, password: NEW_PASSWORD });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ authenticated: true, user: { id, email } });
    expect((await requester.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id } });
    // Both other browsers are signed out now, store keys gone.
    for (const other of [first, second]) expect((await other.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(await setup.server.hasSession(firstSid)).toBe(false);
    expect(await setup.server.storeSessionsOf(email)).toEqual([sidOfClient(requester)]);
    // Only the new password works.
    expect((await client().post("/auth/login", { email, password: PASSWORD })).status).toBe(401);
    expect((await client().post("/auth/login", { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("a reset token is spent by its use, a refused password leaves it unspent, and unknown, spent or malformed tokens get one answer", async () => {
    const { email } = await signedUp();
    const c = client();
    expect((await c.post("/auth/password-reset", { email })).status).toBe(202);
    const { token } = await mailbox.next(email, "reset");
    const short = await c.post("/auth/password-reset/confirm", { token, password: "short" });
    expect(short.status).toBe(422);
    expect(short.body).toMatchObject({ error: "validation_failed", violations: [{ field: "password", code: "too_short" }] });
    expect((await c.post("/auth/password-reset/confirm", { token, password: "" })).status).toBe(422);
    expect((await c.post("/auth/password-reset/confirm", { token, password: NEW_PASSWORD })).status).toBe(200);

    const answers = [];
    for (const bad of [token, `${token}x`, "not a token!", "A".repeat(600)]) {
      answers.push(await client().post("/auth/password-reset/confirm", { token: bad, password: NEW_PASSWORD }));
    }
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: "reset_token_invalid", message: expect.any(String) });
      expect(answer.setCookie).toEqual([]);
    }
    expect((await c.post("/auth/password-reset/confirm", { password: NEW_PASSWORD })).body).toMatchObject({ error: "bad_request" });
    expect((await c.post("/auth/password-reset/confirm", { token: 42, password: NEW_PASSWORD })).status).toBe(400);
    expect((await c.post("/auth/password-reset", { email: ["x"] })).status).toBe(400);
    expect((await c.post("/auth/password-reset", { email: "not an address" })).status).toBe(400);
  });

  it("e-mail verification: signup mails a link, following it shows user.emailVerified at once; a spent link is refused", async () => {
    const { c, email, id } = await signedUp();
    const tab = sameBrowser(c);
    const other = await signedIn(email);
    const mail = await mailbox.next(email, "verify");
    expect(mail.link.startsWith(`${setup.server.url}/verify-email?token=`)).toBe(true);
    expect((await c.get("/auth/session")).body.user.emailVerified).toBe(mode.auth === "reference" ? false : undefined);

    const verified = await client().post("/auth/email-verification", { token: mail.token });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ verified: true });
    for (const browser of [c, tab, other]) {
      expect((await browser.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id, email, emailVerified: true } });
    }
    const spent = await client().post("/auth/email-verification", { token: mail.token });
    expect(spent.status).toBe(400);
    expect(spent.body).toEqual({ error: "verification_token_invalid", message: expect.any(String) });
    expect((await client().post("/auth/email-verification", { token: "bad token" })).body.error).toBe("verification_token_invalid");
    expect((await client().post("/auth/email-verification", {})).body.error).toBe("bad_request");
    // A new session of a verified user knows it from the login answer (reference) or from its first JWT call (legacy).
    const later = await signedIn(email);
    if (mode.auth === "legacy") expect((await apiGet(later, "/api/echo/hello")).status).toBe(200);
    expect((await later.get("/auth/session")).body.user.emailVerified).toBe(true);
  });

  it("resend: 202 {} and a new verification link for an unverified account", async () => {
    const { email } = await signedUp();
    await mailbox.next(email, "verify");
    const resent = await client().post("/auth/email-verification/resend", { email, lang: "nl" });
    expect(resent.status).toBe(202);
    expect(resent.body).toEqual({});
    const again = await mailbox.next(email, "verify");
    expect(again.lang).toBe("nl");
    expect((await client().post("/auth/email-verification", { token: again.token })).status).toBe(200);
  });

  it("password change: needs the current password, ends the other sessions by default, keeps them with signOutOthers: false", async () => {
    const { c, email } = await signedUp();
    const other = await signedIn(email);
    const wrong = await c.post("/auth/password", { currentPassword: "not my password", newPassword: NEW_PASSWORD });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({ error: "invalid_credentials", message: expect.any(String) });
    const short = await c.post("/auth/password", { currentPassword: PASSWORD, newPassword: "short" });
    expect(short.status).toBe(422);
    expect(short.body.violations).toEqual([expect.objectContaining({ field: "newPassword", code: "too_short" })]);
    expect((await c.post("/auth/password", { currentPassword: PASSWORD })).status).toBe(400);
    expect((await client().post("/auth/password", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).body).toMatchObject({
      error: "unauthenticated",
    });

    const kept = await c.post("/auth/password", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, signOutOthers: false });
    expect(kept.status).toBe(204);
    expect((await other.get("/auth/session")).body.authenticated).toBe(true);
    expect((await apiGet(other, "/api/echo/still")).status).toBe(200);

    const ended = await c.post("/auth/password", { currentPassword: NEW_PASSWORD, newPassword: `${NEW_PASSWORD} 2` });
    expect(ended.status).toBe(204);
    expect((await other.get("/auth/session")).body).toEqual({ authenticated: false });
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    expect((await apiGet(c, "/api/echo/mine")).status).toBe(200);
    expect((await client().post("/auth/login", { email, password: `${NEW_PASSWORD} 2` })).status).toBe(200);
  });

  it("GET /auth/sessions lists the user's sessions: opaque public ids, this one marked, times and a short browser label", async () => {
    const { c, email } = await signedUp();
    const other = await signedIn(email, PASSWORD, FIREFOX_ON_WINDOWS);
    const listed = await c.get("/auth/sessions");
    expect(listed.status).toBe(200);
    expect(listed.header("cache-control")).toBe("no-store");
    const sessions = listed.body.sessions as Array<Record<string, unknown>>;
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).toMatchObject({ current: true, userAgent: "Chrome on Linux" });
    expect(sessions[1]).toMatchObject({ current: false, userAgent: "Firefox on Windows" });
    for (const one of sessions) {
      expect(Object.keys(one).sort()).toEqual(["createdAt", "current", "id", "lastSeenAt", "userAgent"]);
      expect(Date.parse(one.createdAt as string)).toBeLessThanOrEqual(Date.parse(one.lastSeenAt as string));
      expect(Date.parse(one.lastSeenAt as string)).toBeLessThanOrEqual(Date.now());
    }
    // The other browser sees the same ids, its own marked.
    const fromOther = (await other.get("/auth/sessions")).body.sessions as Array<{ id: string; current: boolean }>;
    expect(fromOther.map((s) => s.id).sort()).toEqual(sessions.map((s) => s.id).sort());
    expect(fromOther.find((s) => s.current)!.id).toBe(sessions[1]!.id);
    expect((await client().get("/auth/sessions")).status).toBe(401);
  });

  it("security 31: a session's public id reveals nothing of its cookie or store key", async () => {
    const { c, email } = await signedUp();
    const other = await signedIn(email);
    const ids = ((await c.get("/auth/sessions")).body.sessions as Array<{ id: string }>).map((s) => s.id);
    const secrets = [c, other].flatMap((browser) => {
      const cookie = browser.jar.get(setup.server.config.cookieName)!;
      return [sidOfClient(browser), cookieIdOf(cookie), cookie];
    });
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      for (const secret of secrets) {
        expect(secret).not.toContain(id);
        // No run of 6 characters in common: not a prefix, a slice or an encoding of the id.
        for (let i = 0; i + 6 <= id.length; i++) expect(secret.includes(id.slice(i, i + 6)), `${id} in ${secret}`).toBe(false);
      }
    }
    expect(new Set(ids).size).toBe(2);
    expect(((await c.get("/auth/sessions")).body.sessions as Array<{ id: string }>).map((s) => s.id)).toEqual(ids);
  });

  it("security 31: DELETE /auth/sessions/<id> ends another session at once; another user's id gets the same 404 as an unknown one", async () => {
    const { c, email } = await signedUp();
    const other = await signedIn(email);
    const stranger = (await signedUp()).c;
    const strangerId = ((await stranger.get("/auth/sessions")).body.sessions as Array<{ id: string }>)[0]!.id;
    const foreign = await c.request("DELETE", `/auth/sessions/${strangerId}`);
    const unknown = await c.request("DELETE", "/auth/sessions/AAAAAAAAAAAAAAAAAAAAAA");
    const malformed = await c.request("DELETE", "/auth/sessions/not-an-id");
    for (const answer of [foreign, unknown, malformed]) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: "not_found", message: expect.any(String) });
    }
    expect(foreign.text).toBe(unknown.text);
    expect(comparableHeaders(foreign)).toEqual(comparableHeaders(unknown));
    expect((await stranger.get("/auth/session")).body.authenticated).toBe(true);
    expect((await c.request("DELETE", `/auth/sessions/${strangerId}`, undefined, { headers: { "x-csrf": undefined } })).status).toBe(403);

    const otherId = ((await c.get("/auth/sessions")).body.sessions as Array<{ id: string; current: boolean }>).find((s) => !s.current)!.id;
    expect((await apiGet(other, "/api/echo/warm")).status).toBe(200);
    const deleted = await c.request("DELETE", `/auth/sessions/${otherId}`);
    expect(deleted.status).toBe(204);
    expect((await other.get("/auth/session")).body).toEqual({ authenticated: false });
    expect((await apiGet(other, "/api/echo/after")).status).toBe(401);
    expect((await c.request("DELETE", `/auth/sessions/${otherId}`)).status).toBe(404);
    expect(((await c.get("/auth/sessions")).body.sessions as unknown[]).length).toBe(1);
  });

  it("security 31: deleting the current session is a logout: 204, cookie cleared, the old cookie anonymous", async () => {
    const { c } = await signedUp();
    const tab = sameBrowser(c);
    const mine = ((await c.get("/auth/sessions")).body.sessions as Array<{ id: string }>)[0]!.id;
    const deleted = await c.request("DELETE", `/auth/sessions/${mine}`);
    expect(deleted.status).toBe(204);
    expect(deleted.setCookie.some((line) => line.startsWith(`${setup.server.config.cookieName}=;`))).toBe(true);
    expect((await tab.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it("revoke-all with keepCurrent ends every other session and keeps this one; revoked counts what ended", async () => {
    const { c, email } = await signedUp();
    const others = [await signedIn(email), await signedIn(email)];
    const answer = await c.post("/auth/sessions/revoke-all", { keepCurrent: true });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ revoked: 2 });
    expect(answer.setCookie).toEqual([]);
    for (const other of others) expect((await other.get("/auth/session")).body).toEqual({ authenticated: false });
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    expect((await c.post("/auth/sessions/revoke-all", { keepCurrent: "yes" })).status).toBe(400);
    expect((await c.post("/auth/sessions/revoke-all", {})).body).toEqual({ revoked: 1 });
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
  });
});

describe.each(["embedded", "redis"] as const)("features off: an external auth service without AUTH_FEATURES (%s store)", (store) => {
  let setup: ModeSetup;
  beforeAll(async () => {
    setup = await startMode({ store, auth: "legacy" }, redis);
  });
  afterAll(async () => {
    await setup?.close();
  });

  it("GET /auth/config says every extension is off, and their routes answer 404 not_found", async () => {
    const c = setup.server.client();
    expect((await c.get("/auth/config")).body).toEqual({
      passwordReset: false,
      emailVerification: "off",
      passkeys: false,
      providers: [],
      minPasswordLength: 8,
    });
    const email = uniqueEmail("off");
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    for (const [path, body] of [
      ["/auth/password-reset", { email }],
      ["/auth/password-reset/confirm", { token: "abc", password: PASSWORD }],
      ["/auth/email-verification", { token: "abc" }],
      ["/auth/email-verification/resend", { email }],
      ["/auth/password", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }],
    ] as const) {
      const answer = await c.post(path, body);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).toEqual({ error: "not_found", message: expect.any(String) });
    }
    // Nothing reached the auth service's extensions, and no verification mail went out on signup.
    expect(Object.values(setup.legacy!.accountCounts).every((count) => count === 0)).toBe(true);
    expect(setup.legacy!.requests.find((r) => r.path === "/api/users")!.body).not.toContain("verifyUrl");
    // A user's sessions are the session server's own: still there.
    expect((await c.get("/auth/sessions")).status).toBe(200);
  });
});

describe.each(MATRIX)("e-mail verification required ($store store, $auth auth service)", (mode) => {
  let setup: ModeSetup;
  beforeAll(async () => {
    setup =
      mode.auth === "legacy"
        ? await startMode(mode, redis, { AUTH_FEATURES: `${LEGACY_FEATURES},email-verification-required` }, { requireVerification: true })
        : await startMode(mode, redis, { REQUIRE_EMAIL_VERIFICATION: "true" });
  });
  afterAll(async () => {
    await setup?.close();
  });

  it("signup answers 201 {authenticated: false, verificationRequired: true} and stores nothing; login waits for the link", async () => {
    const c = setup.server.client();
    expect((await c.get("/auth/config")).body.emailVerification).toBe("required");
    const email = uniqueEmail("required");
    const before = await setup.server.storeSize();
    const signup = await c.post("/auth/signup", { email, password: PASSWORD });
    expect(signup.status).toBe(201);
    expect(signup.body).toEqual({ authenticated: false, verificationRequired: true });
    expect(signup.setCookie).toEqual([]);
    expect(await setup.server.storeSize()).toBe(before);

    const refused = await c.post("/auth/login", { email, password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: "email_not_verified", message: expect.any(String) });
    expect(refused.setCookie).toEqual([]);
    const wrong = await c.post("/auth/login", { email, password: "not the password" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("invalid_credentials");

    const mail = await mailboxOf(setup).next(email, "verify");
    expect((await c.post("/auth/email-verification", { token: mail.token })).status).toBe(200);
    const login = await c.post("/auth/login", { email, password: PASSWORD });
    expect(login.status).toBe(200);
    if (mode.auth === "reference") expect(login.body.user.emailVerified).toBe(true);
  });
});

describe("mail links and bad input (embedded store, in-process reference auth service)", () => {
  let setup: ModeSetup;
  let behindProxy: ModeSetup;
  beforeAll(async () => {
    [setup, behindProxy] = await Promise.all([
      startMode({ store: "embedded", auth: "reference" }, redis),
      startMode({ store: "embedded", auth: "reference" }, redis, { PUBLIC_ORIGIN: "https://app.example.test" }),
    ]);
  });
  afterAll(async () => {
    await setup?.close();
    await behindProxy?.close();
  });

  it("with PUBLIC_ORIGIN the mailed links point to its /reset-password and /verify-email", async () => {
    const c = behindProxy.server.client();
    const email = uniqueEmail("public-origin");
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    expect((await c.post("/auth/password-reset", { email })).status).toBe(202);
    const box = mailboxOf(behindProxy);
    expect((await box.next(email, "verify")).link.startsWith("https://app.example.test/verify-email?token=")).toBe(true);
    expect((await box.next(email, "reset")).link.startsWith("https://app.example.test/reset-password?token=")).toBe(true);
  });

  it("security 28: a forged Host cannot point a reset link elsewhere: the same 202, and no mail", async () => {
    const email = uniqueEmail("forged-host");
    expect((await setup.server.client().post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    const box = mailboxOf(setup);
    await box.next(email, "verify");
    const forged = await setup.server.client().post("/auth/password-reset", { email }, { headers: { host: "evil.example" } });
    expect(forged.status).toBe(202);
    expect(forged.text).toBe("{}");
    const deadline = Date.now() + 2_000;
    while (!setup.server.logs().includes("password_reset_request_failed") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25));
    expect(setup.server.logs()).toContain("password_reset_request_failed");
    expect(await box.all(email, "reset")).toEqual([]);
  });

  it("bad input on every account route gets a 4xx in the error shape, never a 5xx", async () => {
    const c = setup.server.client();
    const email = uniqueEmail("bad-input");
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    const bodies: unknown[] = [
      [],
      "text",
      null,
      42,
      { email: 1 },
      { email: `${"a".repeat(400)}@example.org` },
      { email: "x@example.org", lang: "../../etc" },
      { token: {} },
      { token: "t", password: 5 },
      { token: "t".repeat(100_000) },
      { currentPassword: null, newPassword: [] },
      { currentPassword: PASSWORD, newPassword: "x".repeat(5_000) },
      { currentPassword: PASSWORD, newPassword: "good enough password", signOutOthers: "no" },
      { keepCurrent: 1 },
    ];
    const routes = [
      "/auth/password-reset",
      "/auth/password-reset/confirm",
      "/auth/email-verification",
      "/auth/email-verification/resend",
      "/auth/password",
      "/auth/sessions/revoke-all",
    ];
    for (const route of routes) {
      for (const body of bodies) {
        const answer = await c.post(route, body);
        if (answer.status < 300) continue; // some bodies are fine for some routes (revoke-all ignores extra fields)
        expect(answer.status, `${route} ${JSON.stringify(body).slice(0, 60)}`).toBeGreaterThanOrEqual(400);
        expect(answer.status, `${route} ${JSON.stringify(body).slice(0, 60)}`).toBeLessThan(500);
        expect(Object.keys(answer.body).slice(0, 2), route).toEqual(["error", "message"]);
      }
      const broken = await c.post(route, undefined, { raw: "{broken", headers: { "content-type": "application/json" } });
      expect(broken.status, route).toBe(400);
      const form = await c.post(route, undefined, { raw: "email=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(form.status, route).toBe(415);
    }
    expect((await c.get("/auth/session")).status).toBe(200);
    expect(setup.server.logs()).not.toContain('"request_failed"');
  });
});
