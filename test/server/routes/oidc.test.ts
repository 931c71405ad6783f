// Sign in with an OpenID Connect provider (issue 16; security.md 33, with 3, 4 and 6 for provider
// sessions), over real HTTP against a real provider (the demo IdP: oidc-provider 9) on both stores:
// start sends the browser to the provider with PKCE S256, state and nonce, bound to it by a
// short-lived cookie; the callback signs in with a regenerated session and goes back to returnTo;
// a replayed, forged, cross-browser, wrong-nonce, wrong-verifier or cancelled callback comes back
// with #auth_error and no session; returnTo is same-origin only; logout sends the browser to the
// provider's end-session endpoint with id_token_hint (RP-initiated logout); password sign-in is
// unchanged beside it; and a provider that is down at start does not stop the server.
import { randomBytes } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oidcProviders } from "../../../server/routes/oidc.js";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import {
  atProvider,
  callback,
  confirmLogoutAtProvider,
  newBrowser,
  oidcEnv,
  PROVIDER_ID,
  registerServers,
  signIn,
  startIdp,
  startSignIn,
  type Browser,
  type TestProvider,
} from "../../helpers/oidc.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  parseSetCookie,
  PASSWORD,
  openedSession,
  sidOf,
  startTestSessionServer,
  uniqueEmail,
  waitFor,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

let redis: RedisServer;
let idp: TestProvider;

beforeAll(async () => {
  [redis, idp] = await Promise.all([startRedisServer(), startIdp()]);
});
afterAll(async () => {
  await idp?.close();
  await redis?.stop();
});

/** The provider tokens of a browser's session, as only its cookie opens them (the store holds them sealed). */
async function providerTokensOf(
  server: TestSessionServer,
  browser: Browser,
): Promise<{ accessToken: string; refreshToken: string; idToken: string }> {
  const opened = await openedSession(server, browser.rp.jar.get(server.config.cookieName)!);
  if (!opened?.provider) throw new Error("no provider session stored");
  return opened.provider as { accessToken: string; refreshToken: string; idToken: string };
}

/** The session's store key for a browser's session cookie, or undefined. */
function sessionIdOf(server: TestSessionServer, browser: Browser): string | undefined {
  const value = browser.rp.jar.get(server.config.cookieName);
  return value === undefined ? undefined : sidOf(value);
}

function setCookieNamed(response: TestResponse, name: string) {
  return response.setCookie.map(parseSetCookie).find((cookie) => cookie.name === name);
}

describe.each(STORE_MODES)("sign-in with an OIDC provider (%s store)", (store) => {
  let server: TestSessionServer;
  const clientId = `auth-elements-${store}`;
  const browsers: Browser[] = [];
  const browser = (): Browser => {
    const made = newBrowser(server.client());
    browsers.push(made);
    return made;
  };

  beforeAll(async () => {
    server = await startTestSessionServer({ redisUrl: store === "redis" ? redis.url : undefined, env: oidcEnv(idp, { clientId }) });
    registerServers(idp, [server.url], { clientId });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("security 33: start sends the browser to the provider with PKCE S256, state and nonce, bound to it by an HttpOnly SameSite=Lax cookie of at most 600 s", async () => {
    const b = browser();
    const started = await startSignIn(b, "/notes");
    expect(started.status).toBe(302);
    const location = new URL(started.header("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(`${idp.issuer}/auth`);
    const params = location.searchParams;
    expect(params.get("response_type")).toBe("code");
    expect(params.get("client_id")).toBe(clientId);
    expect(params.get("redirect_uri")).toBe(`${server.url}/auth/oidc/${PROVIDER_ID}/callback`);
    expect(params.get("scope")).toBe("openid email profile offline_access");
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(params.get("state")).toMatch(/^[\w-]{43,}$/);
    expect(params.get("nonce")).toMatch(/^[\w-]{43,}$/);
    expect(params.has("code_verifier")).toBe(false);
    // Another start gets other secrets.
    const again = new URL((await startSignIn(b, "/notes")).header("location")!).searchParams;
    for (const name of ["state", "nonce", "code_challenge"]) expect(again.get(name)).not.toBe(params.get(name));

    const cookie = setCookieNamed(started, "auth.oidc");
    expect(cookie).toBeDefined();
    expect(cookie!.attributes).toHaveProperty("httponly");
    expect(cookie!.attributes.samesite).toBe("Lax");
    expect(cookie!.attributes.path).toBe("/");
    expect(Number(cookie!.attributes["max-age"])).toBeGreaterThan(0);
    expect(Number(cookie!.attributes["max-age"])).toBeLessThanOrEqual(600);
    expect(cookie!.attributes).not.toHaveProperty("domain");
    // Starting signs nobody in and sets no session cookie.
    expect(setCookieNamed(started, server.config.cookieName)).toBeUndefined();
    expect((await b.rp.get("/auth/session")).body).toEqual({ authenticated: false });

    if (store === "redis") {
      // The flow lives server-side for 10 minutes at most, under a hash of its state.
      const inspect = createClient({ url: redis.url });
      await inspect.connect();
      try {
        const keys = await inspect.keys("ae:oidc-flow:*");
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.some((key) => key.includes(params.get("state")!))).toBe(false);
        for (const key of keys) {
          const ttl = await inspect.pTTL(key);
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(600_000);
        }
      } finally {
        await inspect.close();
      }
    }
  });

  it("security 33: the whole flow signs in with a new session for oidc:<provider>:<sub>, clears the flow cookie and goes back to returnTo", async () => {
    const b = browser();
    const email = uniqueEmail("oidc");
    const done = await signIn(b, email, "/notes/list?tab=2#top");
    expect(done.status).toBe(302);
    expect(done.header("location")).toBe("/notes/list?tab=2#top");
    const flowCookie = setCookieNamed(done, "auth.oidc");
    expect(flowCookie?.value).toBe("");
    const sessionCookie = setCookieNamed(done, server.config.cookieName);
    expect(sessionCookie?.attributes).toMatchObject({ httponly: "", samesite: "Strict", path: "/" });
    const session = await b.rp.get("/auth/session");
    expect(session.body).toEqual({
      authenticated: true,
      user: { id: `oidc:${PROVIDER_ID}:${idp.subjectOf(email)}`, email: email.toLowerCase() },
      expiresAt: expect.any(String),
    });
    expect(server.logs()).toContain('"event":"login_ok","method":"oidc"');
  });

  it("security 4: signing in with the provider replaces the session the browser had: a new id, the old key gone", async () => {
    const b = browser();
    const email = uniqueEmail("before");
    expect((await b.rp.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    const before = sessionIdOf(server, b)!;
    expect(await server.hasSession(before)).toBe(true);
    expect((await signIn(b, uniqueEmail("after"))).status).toBe(302);
    const after = sessionIdOf(server, b)!;
    expect(after).not.toBe(before);
    expect(await server.hasSession(before)).toBe(false);
    expect((await b.rp.get("/auth/session")).body.user.id).toMatch(/^oidc:test:/);
  });

  it("security 33: a replayed callback is refused (302 to / with #auth_error=oidc_failed) and makes no session", async () => {
    const b = browser();
    const started = await startSignIn(b, "/app");
    const callbackUrl = await atProvider(b, started.header("location")!, uniqueEmail("replay"));
    expect((await callback(b, callbackUrl)).header("location")).toBe("/app");
    const sid = sessionIdOf(server, b);
    const replay = await callback(b, callbackUrl);
    expect(replay.status).toBe(302);
    expect(replay.header("location")).toBe("/#auth_error=oidc_failed");
    expect(setCookieNamed(replay, server.config.cookieName)).toBeUndefined();
    expect(sessionIdOf(server, b)).toBe(sid);
  });

  it("security 33: two callbacks at once with one state: exactly one signs in", async () => {
    const b = browser();
    const started = await startSignIn(b, "/app");
    const callbackUrl = await atProvider(b, started.header("location")!, uniqueEmail("race"));
    const twin = newBrowser(server.client());
    for (const [name, value] of b.rp.jar) twin.rp.jar.set(name, value);
    const answers = await Promise.all([callback(b, callbackUrl), callback(twin, callbackUrl)]);
    expect(answers.map((answer) => answer.header("location")).sort()).toEqual(["/#auth_error=oidc_failed", "/app"]);
    expect(answers.filter((answer) => setCookieNamed(answer, server.config.cookieName)?.value)).toHaveLength(1);
  });

  it("security 33: a forged state (one never issued) is refused and does not spend the real one", async () => {
    const b = browser();
    const started = await startSignIn(b, "/app");
    const callbackUrl = new URL(await atProvider(b, started.header("location")!, uniqueEmail("forged")));
    const forged = new URL(callbackUrl);
    forged.searchParams.set("state", randomBytes(32).toString("base64url"));
    const refused = await callback(b, forged.href);
    expect(refused.header("location")).toBe("/#auth_error=oidc_failed");
    expect((await b.rp.get("/auth/session")).body).toEqual({ authenticated: false });
    const withoutState = new URL(callbackUrl);
    withoutState.searchParams.delete("state");
    expect((await callback(b, withoutState.href)).header("location")).toBe("/#auth_error=oidc_failed");
    // The browser's own, untouched callback still signs in (its cookie was cleared, so put it back).
    const real = newBrowser(server.client());
    real.rp.jar.set("auth.oidc", setCookieNamed(started, "auth.oidc")!.value);
    expect((await callback(real, callbackUrl.href)).header("location")).toBe("/app");
  });

  it("security 33: a state from another browser is refused (login CSRF), and is spent for the browser that started it", async () => {
    const victim = browser();
    const attacker = browser();
    const started = await startSignIn(attacker, "/app");
    const callbackUrl = await atProvider(attacker, started.header("location")!, uniqueEmail("attacker"));
    // The victim has a flow cookie of its own (it started a sign-in too), just not the attacker's.
    await startSignIn(victim, "/");
    const refused = await callback(victim, callbackUrl);
    expect(refused.status).toBe(302);
    expect(refused.header("location")).toBe("/app#auth_error=oidc_failed");
    expect(setCookieNamed(refused, server.config.cookieName)).toBeUndefined();
    expect((await victim.rp.get("/auth/session")).body).toEqual({ authenticated: false });
    // A browser with no cookie at all is refused the same way.
    const bare = browser();
    const started2 = await startSignIn(attacker, "/x");
    const callbackUrl2 = await atProvider(attacker, started2.header("location")!, uniqueEmail("attacker"));
    expect((await callback(bare, callbackUrl2)).header("location")).toBe("/x#auth_error=oidc_failed");
    // A taken state never works again, not even in the browser that started it.
    expect((await callback(attacker, callbackUrl)).header("location")).toBe("/#auth_error=oidc_failed");
    expect((await attacker.rp.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it("security 33: an ID token whose nonce is not the flow's is refused", async () => {
    const b = browser();
    const started = await startSignIn(b, "/app");
    const authorization = new URL(started.header("location")!);
    authorization.searchParams.set("nonce", randomBytes(32).toString("base64url"));
    const refused = await callback(b, await atProvider(b, authorization.href, uniqueEmail("nonce")));
    expect(refused.header("location")).toBe("/app#auth_error=oidc_failed");
    expect(setCookieNamed(refused, server.config.cookieName)).toBeUndefined();
    expect((await b.rp.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(server.logs()).toMatch(/"event":"login_failed","method":"oidc","provider":"test","reason":"OAUTH_JWT_CLAIM_COMPARISON_FAILED"/);
  });

  it("security 33: PKCE: a code issued for another code_challenge cannot be redeemed with the flow's verifier", async () => {
    const b = browser();
    const started = await startSignIn(b, "/app");
    const authorization = new URL(started.header("location")!);
    // What an attacker who swapped in its own challenge would cause: the provider binds the code to it.
    authorization.searchParams.set("code_challenge", randomBytes(32).toString("base64url"));
    const refused = await callback(b, await atProvider(b, authorization.href, uniqueEmail("pkce")));
    expect(refused.header("location")).toBe("/app#auth_error=oidc_failed");
    expect((await b.rp.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(server.logs()).toMatch(/"reason":"invalid_grant"/);
  });

  it("cancelling at the provider comes back to returnTo with #auth_error=oidc_denied and no session", async () => {
    const b = browser();
    const started = await startSignIn(b, "/app?x=1#section");
    const refused = await callback(b, await atProvider(b, started.header("location")!, "", "cancel"));
    expect(refused.status).toBe(302);
    expect(refused.header("location")).toBe("/app?x=1#auth_error=oidc_denied");
    expect(setCookieNamed(refused, "auth.oidc")?.value).toBe("");
    expect((await b.rp.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it.each([
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "/\t/evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "evil.example/path",
    "http:/evil.example",
    " /app",
    "",
  ])("security 33: a foreign returnTo (%j) is replaced by /", async (returnTo) => {
    const b = browser();
    const done = await signIn(b, uniqueEmail("return"), returnTo);
    expect(done.status).toBe(302);
    expect(done.header("location")).toBe("/");
    expect((await b.rp.get("/auth/session")).body.authenticated).toBe(true);
  });

  it("security 27: odd input on the OIDC routes gets a 4xx or a redirect home, never a 5xx", async () => {
    const b = browser();
    const odd = [
      `/auth/oidc/${PROVIDER_ID}/start?returnTo=/a&returnTo=/b`,
      `/auth/oidc/${PROVIDER_ID}/start?returnTo=/${"x".repeat(5000)}`,
      `/auth/oidc/${PROVIDER_ID}/start?returnTo=%ZZ`,
      `/auth/oidc/${PROVIDER_ID}/start?returnTo=%E0%A4%A`,
      `/auth/oidc/${PROVIDER_ID}/start?returnTo[x]=1`,
      `/auth/oidc/${PROVIDER_ID}/callback`,
      `/auth/oidc/${PROVIDER_ID}/callback?state=a&state=b`,
      `/auth/oidc/${PROVIDER_ID}/callback?code=x`,
      `/auth/oidc/${PROVIDER_ID}/callback?error=access_denied`,
      `/auth/oidc/${PROVIDER_ID}/callback?state=${"s".repeat(10_000)}&code=x`,
      `/auth/oidc/${PROVIDER_ID}/callback?state=%ZZ&code=%ZZ`,
      `/auth/oidc/${PROVIDER_ID}/end-session`,
      `/auth/oidc/${PROVIDER_ID}/end-session?handle=a&handle=b`,
      `/auth/oidc/${PROVIDER_ID}/end-session?handle=${"h".repeat(10_000)}`,
      "/auth/oidc/%00/start",
      "/auth/oidc/%ZZ/callback",
      "/auth/oidc//start",
    ];
    for (const path of odd) {
      const answer = await b.rp.get(path);
      expect(answer.status, path).toBeLessThan(500);
      if (answer.status === 302)
        expect(answer.header("location"), path).toMatch(new RegExp(`^(/|/#auth_error=oidc_failed|${idp.issuer}/auth\\?.*)$`));
      else expect(answer.body, path).toEqual({ error: expect.any(String), message: expect.any(String) });
    }
  });

  it("an unknown provider: 404 not_found on start and callback", async () => {
    const b = browser();
    for (const path of ["/auth/oidc/nope/start", "/auth/oidc/nope/callback?state=x", "/auth/oidc/Test/start"]) {
      const answer = await b.rp.get(path);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: "not_found", message: expect.any(String) });
    }
    expect((await b.rp.post(`/auth/oidc/${PROVIDER_ID}/start`)).status).toBe(405);
  });

  it("security 3: no response body, header or cookie and no log line carries the provider's tokens", async () => {
    const b = browser();
    await signIn(b, uniqueEmail("secret"));
    const tokens = await providerTokensOf(server, b);
    const secrets = [tokens.accessToken!, tokens.refreshToken!, tokens.idToken!];
    for (const secret of secrets) expect(secret.length).toBeGreaterThan(20);
    // Signatures too: a JWT's last part alone is no less secret.
    secrets.push(...secrets.filter((secret) => secret.split(".").length === 3).map((jwt) => jwt.split(".")[2]!));
    await b.rp.post("/auth/logout");
    for (const { response } of browsers.flatMap((each) => each.rp.history)) {
      const everything = response.text + JSON.stringify(response.headers);
      for (const secret of secrets) expect(everything).not.toContain(secret);
    }
    for (const secret of secrets) expect(server.logs()).not.toContain(secret);
  });
});

describe("logout of a provider session (RP-initiated logout)", () => {
  let server: TestSessionServer;
  const clientId = "auth-elements-logout";
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    server = await startTestSessionServer({ env: oidcEnv(idp, { clientId }) });
    registerServers(idp, [server.url], { clientId });
    jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
  });
  afterAll(async () => {
    await server?.close();
  });

  it("security 33: logout answers 200 {logoutUrl}, a same-origin URL that sends the browser to the provider's end_session_endpoint with id_token_hint; the refresh token is revoked at the provider", async () => {
    const b = newBrowser(server.client());
    const email = uniqueEmail("logout");
    await signIn(b, email);
    const sid = sessionIdOf(server, b)!;
    const stored = { oidc: { tokens: await providerTokensOf(server, b) } };
    const revocationsBefore = idp.counts.revocation;

    const logout = await b.rp.post("/auth/logout");
    expect(logout.status).toBe(200);
    expect(logout.body).toEqual({
      logoutUrl: expect.stringMatching(new RegExp(`^/auth/oidc/${PROVIDER_ID}/end-session\\?handle=[\\w-]{43}$`)),
    });
    // The ID token is not in what a page script can read.
    expect(logout.text).not.toContain(stored.oidc.tokens.idToken);
    expect(logout.text).not.toContain(stored.oidc.tokens.idToken.split(".")[2]);
    // Signed out here at once: the session is gone, the cookie cleared, the refresh token revoked at the provider.
    expect(await server.hasSession(sid)).toBe(false);
    expect(setCookieNamed(logout, server.config.cookieName)?.value).toBe("");
    expect((await b.rp.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(idp.counts.revocation - revocationsBefore).toBe(1);

    const toProvider = await b.rp.get(logout.body.logoutUrl);
    expect(toProvider.status).toBe(302);
    const endSession = new URL(toProvider.header("location")!);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${idp.issuer}/session/end`);
    const hint = endSession.searchParams.get("id_token_hint")!;
    const { payload } = await jwtVerify(hint, jwks, { issuer: idp.issuer, audience: clientId, clockTolerance: 3600 });
    expect(payload.sub).toBe(idp.subjectOf(email));
    expect(endSession.searchParams.get("post_logout_redirect_uri")).toBe(`${server.url}/`);
    expect(endSession.searchParams.get("client_id")).toBe(clientId);
    // The provider accepts it, and sends the browser back to us once it has signed out too.
    const confirmed = await confirmLogoutAtProvider(b, endSession.href);
    expect(confirmed.location).toBe(`${server.url}/`);
  });

  it("security 33: the logout URL works once, and only in the browser that logged out", async () => {
    const b = newBrowser(server.client());
    await signIn(b, uniqueEmail("logout-once"));
    const { logoutUrl } = (await b.rp.post("/auth/logout")).body as { logoutUrl: string };
    const other = newBrowser(server.client());
    expect((await other.rp.get(logoutUrl)).header("location")).toBe("/");
    // Taken by that other browser: spent for this one too.
    expect((await b.rp.get(logoutUrl)).header("location")).toBe("/");

    await signIn(b, uniqueEmail("logout-once"));
    const second = (await b.rp.post("/auth/logout")).body as { logoutUrl: string };
    expect((await b.rp.get(second.logoutUrl)).header("location")).toMatch(new RegExp(`^${idp.issuer}/session/end\\?`));
    expect((await b.rp.get(second.logoutUrl)).header("location")).toBe("/");
  });

  it("password sign-in beside a provider is unchanged: signup, login, and logout answers 204", async () => {
    const c = server.client();
    const email = uniqueEmail("password");
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    expect((await c.post("/auth/logout")).status).toBe(204);
    const login = await c.post("/auth/login", { email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.email).toBe(email);
    expect(login.body.user.id).not.toMatch(/^oidc:/);
    const logout = await c.post("/auth/logout");
    expect(logout.status).toBe(204);
    expect(logout.text).toBe("");
  });

  it("GET /auth/config's providers: the configured ones, as {id, name}", () => {
    expect(oidcProviders(server.config)).toEqual([{ id: PROVIDER_ID, name: "Test IdP" }]);
  });
});

describe("where the provider sends the browser back, and where the e-mail comes from", () => {
  it("security 34: the redirect URI is PUBLIC_ORIGIN's when set, else the request's own origin, which an untrusted X-Forwarded-Host cannot change", async () => {
    const plain = await startTestSessionServer({ env: oidcEnv(idp, { clientId: "origin-plain" }) });
    const behindProxy = await startTestSessionServer({
      env: oidcEnv(idp, { clientId: "origin-public", extra: { PUBLIC_ORIGIN: "https://app.example.com" } }),
    });
    try {
      const spoofed = await plain.client().get(`/auth/oidc/${PROVIDER_ID}/start`, {
        headers: { "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" },
      });
      expect(new URL(spoofed.header("location")!).searchParams.get("redirect_uri")).toBe(`${plain.url}/auth/oidc/${PROVIDER_ID}/callback`);
      const fixed = await behindProxy.client().get(`/auth/oidc/${PROVIDER_ID}/start`, { headers: { "x-forwarded-host": "evil.example" } });
      expect(new URL(fixed.header("location")!).searchParams.get("redirect_uri")).toBe(
        `https://app.example.com/auth/oidc/${PROVIDER_ID}/callback`,
      );
    } finally {
      await plain.close();
      await behindProxy.close();
    }
  });

  it("a provider whose ID token carries no e-mail: the e-mail comes from its userinfo endpoint", async () => {
    const userinfoIdp = await startIdp({ accessTokensFor: "userinfo" });
    const server = await startTestSessionServer({ env: oidcEnv(userinfoIdp) });
    try {
      registerServers(userinfoIdp, [server.url]);
      const b = newBrowser(server.client());
      const email = uniqueEmail("userinfo");
      const done = await signIn(b, email, "/app");
      expect(done.header("location")).toBe("/app");
      const stored = { oidc: { tokens: await providerTokensOf(server, b) } };
      expect(decodeJwt(stored.oidc.tokens.idToken).email).toBeUndefined();
      expect((await b.rp.get("/auth/session")).body.user).toEqual({ id: `oidc:${PROVIDER_ID}:${userinfoIdp.subjectOf(email)}`, email });
    } finally {
      await server.close();
      await userinfoIdp.close();
    }
  });
});

describe("a provider that is down when the server starts", () => {
  it("the server starts anyway, logs, answers oidc_unavailable meanwhile, retries, and signs in once the provider is back", async () => {
    const late = await startIdp();
    await late.stop();
    const server = await startTestSessionServer({ env: oidcEnv(late) });
    try {
      registerServers(late, [server.url]);
      expect(server.logs()).toContain('"event":"oidc_discovery_failed","provider":"test"');
      // Everything else works.
      const c = server.client();
      expect((await c.post("/auth/signup", { email: uniqueEmail("meanwhile"), password: PASSWORD })).status).toBe(201);
      const b = newBrowser(server.client());
      const meanwhile = await startSignIn(b, "/app");
      expect(meanwhile.status).toBe(302);
      expect(meanwhile.header("location")).toBe("/app#auth_error=oidc_unavailable");
      expect(setCookieNamed(meanwhile, "auth.oidc")).toBeUndefined();

      await late.start();
      expect(await waitFor(async () => (await startSignIn(b, "/app")).header("location")!.startsWith(late.issuer), 10_000, 200)).toBe(true);
      expect(server.logs()).toMatch(/"event":"oidc_discovery_ok","provider":"test","attempts":[2-9]/);
      const done = await signIn(b, uniqueEmail("later"), "/app");
      expect(done.header("location")).toBe("/app");
      expect((await b.rp.get("/auth/session")).body.authenticated).toBe(true);
    } finally {
      await server.close();
      await late.close();
    }
  });
});
