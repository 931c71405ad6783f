// Back-channel logout (issue 16; security.md 33): `POST /auth/oidc/backchannel-logout` with a logout
// token validated per OIDC Back-Channel Logout 1.0 ends every session it names on every instance.
// Two session-server instances share a redis-server; the demo IdP (oidc-provider 9) sends the logout
// token itself when a user signs out there, and the tests sign their own variants with its key (or
// another) to show what is refused: 400 logout_token_invalid, and no session ends. Two providers
// that know the same e-mail (even the same `sub`) never share a session or a logout.
import { randomBytes } from "node:crypto";
import { generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  atProvider,
  callback,
  CLIENT_ID,
  CLIENT_SECRET,
  confirmLogoutAtProvider,
  newBrowser,
  oidcEnv,
  registerServers,
  signIn,
  startIdp,
  type Browser,
  type TestProvider,
} from "../../helpers/oidc.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  openedSession,
  sidOf,
  startTestSessionServer,
  uniqueEmail,
  waitFor,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const EVENT = "http://schemas.openid.net/event/backchannel-logout";

let redis: RedisServer;
let idp: TestProvider;
let other: TestProvider;
let a: TestSessionServer;
let b: TestSessionServer;

beforeAll(async () => {
  [redis, idp, other] = await Promise.all([startRedisServer(), startIdp(), startIdp()]);
  // Two providers: "test" and "other", which happen to give the same e-mail the same `sub`.
  const env = {
    ...oidcEnv(idp),
    OIDC_PROVIDERS: `test=${idp.issuer},other=${other.issuer}`,
    OIDC_OTHER_CLIENT_ID: CLIENT_ID,
    OIDC_OTHER_CLIENT_SECRET: CLIENT_SECRET,
  };
  const options = { redisUrl: redis.url, sessionSecret: randomBytes(32).toString("base64url"), env };
  [a, b] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
  // The provider knows one back-channel URI (here instance a's; behind a load balancer, any instance).
  registerServers(idp, [a.url, b.url], { backchannel: `${a.url}/auth/oidc/backchannel-logout` });
  registerServers(other, [a.url, b.url], { backchannel: `${b.url}/auth/oidc/backchannel-logout`, provider: "other" });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await idp?.close();
  await other?.close();
  await redis?.stop();
});

/** A browser of `server` that shares `op`'s provider jar (the same provider session) when given. */
function browserOn(server: TestSessionServer, op?: Browser): Browser {
  const made = newBrowser(server.client());
  if (op) made.op = op.op;
  return made;
}

async function signedIn(browser: Browser): Promise<boolean> {
  return (await browser.rp.get("/auth/session")).body.authenticated === true;
}

const sidIn = (server: TestSessionServer, browser: Browser): string => sidOf(browser.rp.jar.get(server.config.cookieName)!);

/** Posts a logout token as a provider does: a form, no cookie, no X-CSRF, no Origin. */
async function postLogoutToken(server: TestSessionServer, body: string, contentType = "application/x-www-form-urlencoded") {
  const response = await request(`${server.url}/auth/oidc/backchannel-logout`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, headers: response.headers };
}

const form = (token: string): string => new URLSearchParams({ logout_token: token }).toString();

function logoutClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: idp.issuer,
    aud: CLIENT_ID,
    iat: now,
    exp: now + 120,
    jti: randomBytes(16).toString("hex"),
    events: { [EVENT]: {} },
    ...overrides,
  };
}

describe("back-channel logout", () => {
  it("security 33: signing out at the provider ends every session of that provider session, on both instances, and no other", async () => {
    const email = uniqueEmail("bcl");
    // One browser, one provider session, signed in on both instances.
    const onA = browserOn(a);
    await signIn(onA, email);
    const onB = browserOn(b, onA);
    await signIn(onB, email);
    // The same user in another browser (another provider session), and someone else.
    const elsewhere = browserOn(a);
    await signIn(elsewhere, email);
    const someoneElse = browserOn(b);
    await signIn(someoneElse, uniqueEmail("bystander"));
    for (const browser of [onA, onB, elsewhere, someoneElse]) expect(await signedIn(browser)).toBe(true);
    const sids = [sidIn(a, onA), sidIn(b, onB)];

    const delivered = idp.counts.backchannelLogout;
    const confirmed = await confirmLogoutAtProvider(onA, `${idp.issuer}/session/end`);
    expect(confirmed.status).toBe(303);
    expect(await waitFor(async () => idp.counts.backchannelLogout > delivered, 5_000, 50)).toBe(true);
    expect(idp.backchannelErrors).toEqual([]);

    expect(await signedIn(onA)).toBe(false);
    expect(await signedIn(onB)).toBe(false);
    for (const sid of sids) expect(await a.hasSession(sid)).toBe(false);
    expect(await signedIn(elsewhere)).toBe(true);
    expect(await signedIn(someoneElse)).toBe(true);
    expect(a.logs()).toContain('"event":"backchannel_logout","provider":"test","sessions":2');
  });

  it("security 33: a logout token naming only the subject ends every session of that subject, on both instances", async () => {
    const email = uniqueEmail("bcl-sub");
    const first = browserOn(a);
    await signIn(first, email);
    const second = browserOn(b);
    await signIn(second, email);
    const bystander = browserOn(a);
    await signIn(bystander, uniqueEmail("bystander"));
    const answer = await postLogoutToken(b, form(await idp.sign(logoutClaims({ sub: idp.subjectOf(email) }), { typ: "logout+jwt" })));
    expect(answer.status).toBe(200);
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(await signedIn(first)).toBe(false);
    expect(await signedIn(second)).toBe(false);
    expect(await signedIn(bystander)).toBe(true);
  });

  it("security 33: two providers never share an account: the same e-mail and sub at two providers are two users, and one provider's logout leaves the other's session", async () => {
    const email = uniqueEmail("two-providers");
    expect(idp.subjectOf(email)).toBe(other.subjectOf(email));
    const viaTest = browserOn(a);
    await signIn(viaTest, email);
    const viaOther = browserOn(a);
    const started = await viaOther.rp.get("/auth/oidc/other/start");
    await callback(viaOther, await atProvider(viaOther, started.header("location")!, email));
    const testUser = (await viaTest.rp.get("/auth/session")).body.user;
    const otherUser = (await viaOther.rp.get("/auth/session")).body.user;
    expect(testUser).toEqual({ id: `oidc:test:${idp.subjectOf(email)}`, email });
    expect(otherUser).toEqual({ id: `oidc:other:${other.subjectOf(email)}`, email });

    expect((await postLogoutToken(a, form(await idp.sign(logoutClaims({ sub: idp.subjectOf(email) }))))).status).toBe(200);
    expect(await signedIn(viaTest)).toBe(false);
    expect(await signedIn(viaOther)).toBe(true);
  });

  describe("refused logout tokens: 400 logout_token_invalid, and nobody is signed out", () => {
    let victim: Browser;
    let email: string;
    let foreignKey: CryptoKey;

    beforeAll(async () => {
      email = uniqueEmail("bcl-victim");
      victim = browserOn(a);
      await signIn(victim, email);
      foreignKey = (await generateKeyPair("RS256")).privateKey;
    });

    const cases: Array<[string, () => Promise<string>]> = [
      [
        "signed by another key (under the provider's key id)",
        async () => {
          const claims = logoutClaims({ sub: idp.subjectOf(email) });
          const real = await idp.sign(claims);
          const kid = JSON.parse(Buffer.from(real.split(".")[0]!, "base64url").toString()).kid as string;
          return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).sign(foreignKey);
        },
      ],
      ["for another client (aud)", () => idp.sign(logoutClaims({ sub: idp.subjectOf(email), aud: "someone-else" }))],
      ["from an unknown issuer", () => idp.sign(logoutClaims({ sub: idp.subjectOf(email), iss: "http://127.0.0.1:1" }))],
      [
        "from the other provider's issuer, signed by this one",
        () => idp.sign(logoutClaims({ sub: idp.subjectOf(email), iss: other.issuer })),
      ],
      ["expired (exp)", () => idp.sign(logoutClaims({ sub: idp.subjectOf(email), exp: Math.floor(Date.now() / 1000) - 120 }))],
      ["issued long ago (iat)", () => idp.sign(logoutClaims({ sub: idp.subjectOf(email), iat: Math.floor(Date.now() / 1000) - 3_600 }))],
      [
        "without exp",
        async () => {
          const claims = logoutClaims({ sub: idp.subjectOf(email) });
          delete claims.exp;
          return idp.sign(claims);
        },
      ],
      [
        "without jti",
        async () => {
          const claims = logoutClaims({ sub: idp.subjectOf(email) });
          delete claims.jti;
          return idp.sign(claims);
        },
      ],
      [
        "without the events claim",
        async () => {
          const claims = logoutClaims({ sub: idp.subjectOf(email) });
          delete claims.events;
          return idp.sign(claims);
        },
      ],
      [
        "with events, but not the back-channel logout event",
        () => idp.sign(logoutClaims({ sub: idp.subjectOf(email), events: { "urn:other": {} } })),
      ],
      ["with the back-channel event as a string", () => idp.sign(logoutClaims({ sub: idp.subjectOf(email), events: { [EVENT]: "yes" } }))],
      ["with a nonce (an ID token's claim)", () => idp.sign(logoutClaims({ sub: idp.subjectOf(email), nonce: "n" }))],
      ["naming neither sub nor sid", () => idp.sign(logoutClaims())],
      ["with a non-string sub", () => idp.sign(logoutClaims({ sub: 42 as unknown as string }))],
      ["typed as an access token (typ at+jwt)", () => idp.sign(logoutClaims({ sub: idp.subjectOf(email) }), { typ: "at+jwt" })],
      [
        "unsigned (alg none)",
        async () => {
          const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
          return `${encode({ alg: "none" })}.${encode(logoutClaims({ sub: idp.subjectOf(email) }))}.`;
        },
      ],
      [
        "signed with the client secret (HS256)",
        () =>
          new SignJWT(logoutClaims({ sub: idp.subjectOf(email) }))
            .setProtectedHeader({ alg: "HS256" })
            .sign(new TextEncoder().encode(CLIENT_SECRET)),
      ],
      ["not a JWT", async () => "not-a-jwt"],
    ];

    it.each(cases)("security 33: a logout token %s", async (_name, make) => {
      const answer = await postLogoutToken(a, form(await make()));
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: "logout_token_invalid", message: expect.any(String) });
      expect(await signedIn(victim)).toBe(true);
    });

    it("security 33: an ID token presented as a logout token", async () => {
      const opened = await openedSession(a, victim.rp.jar.get(a.config.cookieName)!);
      const stored = { oidc: { tokens: { idToken: opened!.provider!.idToken } } };
      const answer = await postLogoutToken(a, form(stored.oidc.tokens.idToken));
      expect(answer.status).toBe(400);
      expect(await signedIn(victim)).toBe(true);
    });

    it("security 33: a replayed logout token (its jti used already)", async () => {
      const bystander = browserOn(b);
      const bystanderEmail = uniqueEmail("replayed");
      await signIn(bystander, bystanderEmail);
      const token = await idp.sign(logoutClaims({ sub: idp.subjectOf(bystanderEmail) }));
      expect((await postLogoutToken(a, form(token))).status).toBe(200);
      expect(await signedIn(bystander)).toBe(false);
      // Signed in again, the same token (on the other instance) does not end the new session.
      await signIn(bystander, bystanderEmail);
      const replay = await postLogoutToken(b, form(token));
      expect(replay.status).toBe(400);
      expect(await signedIn(bystander)).toBe(true);
    });

    it("malformed requests: no logout_token, two of them, or a body that is not a form", async () => {
      const token = await idp.sign(logoutClaims({ sub: idp.subjectOf(email) }));
      expect((await postLogoutToken(a, "")).status).toBe(400);
      expect((await postLogoutToken(a, "other=1")).status).toBe(400);
      expect((await postLogoutToken(a, `${form(token)}&${form(token)}`)).status).toBe(400);
      const json = await postLogoutToken(a, JSON.stringify({ logout_token: token }), "application/json");
      expect(json.status).toBe(415);
      expect(json.body).toEqual({ error: "unsupported_media_type", message: expect.any(String) });
      expect((await request(`${a.url}/auth/oidc/backchannel-logout`)).statusCode).toBe(405);
      expect(await signedIn(victim)).toBe(true);
    });

    it("security 3: no logout token reaches the logs", async () => {
      const token = await idp.sign(logoutClaims({ sub: idp.subjectOf(email) }));
      await postLogoutToken(a, form(`${token}x`));
      for (const part of token.split(".")) expect(a.logs()).not.toContain(part);
    });
  });
});
