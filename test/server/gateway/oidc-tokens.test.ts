// The gateway's bearer for a session signed in through an OIDC provider (issue 16; security.md 9,
// 20, 21, 33): the provider's own access token, which an upstream verifies against the provider's
// JWKS; refreshed with the refresh token by the same single flight as the auth service's JWT (100
// concurrent calls after it expired cost exactly one refresh, on one instance and across two sharing
// a redis-server), rotation honoured (each refresh uses the newest refresh token, whichever instance
// got it); a refused refresh ends the session (401 session_expired), a provider that does not
// answer keeps it (503). Against the demo IdP (oidc-provider 9) with 2-second access tokens.
import { randomBytes } from "node:crypto";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { apiGet } from "../../helpers/gateway.js";
import {
  CLIENT_SECRET,
  newBrowser,
  oidcEnv,
  registerServers,
  signIn,
  startIdp,
  startVerifyingUpstream,
  type Browser,
  type TestProvider,
  type VerifyingUpstream,
} from "../../helpers/oidc.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  openedSession,
  sidOf,
  sleep,
  startTestSessionServer,
  uniqueEmail,
  type CookieClient,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const ACCESS_TOKEN_TTL_S = 2;
/** Past the access token's expiry (not only its renewal margin). */
const EXPIRED_MS = ACCESS_TOKEN_TTL_S * 1000 + 150;

let redis: RedisServer;
let idp: TestProvider;
let upstream: VerifyingUpstream;
const clients: CookieClient[] = [];
const servers: TestSessionServer[] = [];

beforeAll(async () => {
  [redis, idp] = await Promise.all([startRedisServer(), startIdp({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_S })]);
  upstream = await startVerifyingUpstream(idp);
});
afterAll(async () => {
  await upstream?.close();
  await idp?.close();
  await redis?.stop();
});

function serverEnv(clientId: string) {
  return oidcEnv(idp, { clientId, extra: { UPSTREAMS: `api=${upstream.origin}`, GATEWAY_MAX_CALLS_PER_SESSION: "200" } });
}

/**
 * Runs a burst while the provider issues long-lived access tokens: the refreshed token must not run
 * out while a loaded machine is still answering the burst (a second refresh would then be right).
 */
async function longLivedRefreshes<T>(burst: () => Promise<T>): Promise<T> {
  idp.setAccessTokenTtl(60);
  try {
    return await burst();
  } finally {
    idp.setAccessTokenTtl(ACCESS_TOKEN_TTL_S);
  }
}

function browserOn(server: TestSessionServer): Browser {
  const made = newBrowser(server.client());
  clients.push(made.rp);
  return made;
}

/** The provider tokens the store holds for a browser's session (as signed in), as its cookie opens them. */
async function storedTokens(server: TestSessionServer, browser: Browser) {
  const opened = await openedSession(server, browser.rp.jar.get(server.config.cookieName)!);
  if (!opened?.provider) throw new Error("no provider session stored");
  return opened.provider as { accessToken: string; refreshToken: string; idToken: string };
}

describe.each(STORE_MODES)("the gateway's bearer for a provider session (%s store)", (store) => {
  let server: TestSessionServer;
  const clientId = `gateway-${store}`;

  beforeAll(async () => {
    server = await startTestSessionServer({ redisUrl: store === "redis" ? redis.url : undefined, env: serverEnv(clientId) });
    servers.push(server);
    registerServers(idp, [server.url], { clientId });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    await idp.start();
  });

  it("security 33: the bearer is the provider's access token, which the upstream verifies against the provider's JWKS; the first call costs no refresh", async () => {
    const b = browserOn(server);
    const email = uniqueEmail("bearer");
    await signIn(b, email);
    const refreshesBefore = idp.counts.refreshToken;
    const response = await apiGet(b.rp, "/api/api/profile");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ sub: idp.subjectOf(email) });
    const call = upstream.calls.at(-1)!;
    expect(call.claims).toMatchObject({ iss: idp.issuer, aud: idp.resource, sub: idp.subjectOf(email), client_id: clientId });
    expect(call.token).toBe((await storedTokens(server, b)).accessToken);
    expect(idp.counts.refreshToken).toBe(refreshesBefore);
  });

  it("security 20: 100 concurrent calls after the access token expired make exactly 1 refresh at the provider", async () => {
    const b = browserOn(server);
    await signIn(b, uniqueEmail("burst"));
    expect((await apiGet(b.rp, "/api/api/first")).status).toBe(200);
    const first = upstream.calls.at(-1)!.token;
    await sleep(EXPIRED_MS);
    const refreshesBefore = idp.counts.refreshToken;
    const ownBefore = server.running.oidc.refreshes;
    const callsBefore = upstream.calls.length;
    const responses = await longLivedRefreshes(() =>
      Promise.all(Array.from({ length: 100 }, (_, i) => apiGet(b.rp, `/api/api/burst/${i}`))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(idp.counts.refreshToken - refreshesBefore).toBe(1);
    expect(server.running.oidc.refreshes - ownBefore).toBe(1);
    const calls = upstream.calls.slice(callsBefore);
    expect(calls).toHaveLength(100);
    expect(calls.every((call) => call.claims !== null)).toBe(true);
    const bearers = new Set(calls.map((call) => call.token));
    expect(bearers.size).toBe(1);
    expect(bearers.has(first)).toBe(false);
  });

  it("security 33: rotation honoured: each renewal refreshes with the newest refresh token, and the provider refuses the spent one", async () => {
    const b = browserOn(server);
    await signIn(b, uniqueEmail("rotate"));
    const signInTokens = await storedTokens(server, b);
    const refreshesBefore = idp.counts.refreshToken;
    for (let round = 0; round < 2; round++) {
      await sleep(EXPIRED_MS);
      expect((await apiGet(b.rp, `/api/api/round/${round}`)).status).toBe(200);
    }
    expect(idp.counts.refreshToken - refreshesBefore).toBe(2);
    // The provider rotated it: the refresh token of the sign-in is spent (the server never used it twice).
    const spent = await request(`${idp.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: signInTokens.refreshToken,
        client_id: clientId,
        client_secret: CLIENT_SECRET,
      }).toString(),
    });
    expect(spent.statusCode).toBe(400);
    expect(((await spent.body.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("security 9: a refresh the provider refuses (its grant ended) ends the session: 401 session_expired, then anonymous, gone from the store", async () => {
    const b = browserOn(server);
    const email = uniqueEmail("refused");
    await signIn(b, email);
    const sid = sidOf(b.rp.jar.get(server.config.cookieName)!);
    expect((await apiGet(b.rp, "/api/api/before")).status).toBe(200);
    expect(idp.revokeAccount(email)).toBeGreaterThan(0);
    await sleep(EXPIRED_MS);
    const refused = await apiGet(b.rp, "/api/api/after");
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: "session_expired", message: expect.any(String) });
    expect((await b.rp.get("/auth/session")).body).toEqual({ authenticated: false });
    expect(await server.hasSession(sid)).toBe(false);
    expect(server.logs()).toContain('"event":"session_expired"');
  });

  it("security 9: a provider that does not answer at renewal time: 503, the session kept; once it is back the call works", async () => {
    const b = browserOn(server);
    await signIn(b, uniqueEmail("transient"));
    await sleep(EXPIRED_MS);
    await idp.stop();
    const failed = await apiGet(b.rp, "/api/api/down");
    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({ error: "token_unavailable", message: expect.any(String) });
    expect((await b.rp.get("/auth/session")).body.authenticated).toBe(true);
    await idp.start();
    expect((await apiGet(b.rp, "/api/api/up")).status).toBe(200);
  });
});

describe("two instances sharing one redis-server", () => {
  let a: TestSessionServer;
  let b: TestSessionServer;
  const clientId = "gateway-scale-out";

  beforeAll(async () => {
    const options = { redisUrl: redis.url, sessionSecret: randomBytes(32).toString("base64url"), env: serverEnv(clientId) };
    [a, b] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
    servers.push(a, b);
    registerServers(idp, [a.url, b.url], { clientId });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  /** A client of `server` holding the same cookies as `from`. */
  function sameSessionOn(server: TestSessionServer, from: CookieClient): CookieClient {
    const c = server.client();
    clients.push(c);
    for (const [name, value] of from.jar) c.jar.set(name, value);
    return c;
  }

  it("security 20: 100 concurrent calls after the access token expired, spread over both instances, make exactly 1 refresh", async () => {
    const onA = browserOn(a);
    await signIn(onA, uniqueEmail("cross"));
    const onB = sameSessionOn(b, onA.rp);
    await sleep(EXPIRED_MS);
    const refreshesBefore = idp.counts.refreshToken;
    const ownBefore = a.running.oidc.refreshes + b.running.oidc.refreshes;
    const callsBefore = upstream.calls.length;
    const responses = await longLivedRefreshes(() =>
      Promise.all(Array.from({ length: 100 }, (_, i) => apiGet(i % 2 === 0 ? onA.rp : onB, `/api/api/cross/${i}`))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(idp.counts.refreshToken - refreshesBefore).toBe(1);
    expect(a.running.oidc.refreshes + b.running.oidc.refreshes - ownBefore).toBe(1);
    expect(new Set(upstream.calls.slice(callsBefore).map((call) => call.token)).size).toBe(1);
  });

  it("security 33: a refresh token rotated by one instance is the one the other refreshes with", async () => {
    const onA = browserOn(a);
    await signIn(onA, uniqueEmail("alternate"));
    const onB = sameSessionOn(b, onA.rp);
    const before = idp.counts.refreshToken;
    for (const [round, client] of [onA.rp, onB, onA.rp].entries()) {
      await sleep(EXPIRED_MS);
      expect((await apiGet(client, `/api/api/alternate/${round}`)).status).toBe(200);
    }
    expect(idp.counts.refreshToken - before).toBe(3);
  });
});

describe("secrets", () => {
  it("security 3: no response, header or log line carried a provider access, refresh or ID token (every test above)", async () => {
    const tokens = new Set(upstream.calls.map((call) => call.token).filter((token): token is string => token !== undefined));
    expect(tokens.size).toBeGreaterThan(5);
    const signatures = [...tokens].map((token) => token.split(".")[2]!);
    for (const client of clients) {
      for (const { response } of client.history) {
        const everything = response.text + JSON.stringify(response.headers);
        for (const secret of [...tokens, ...signatures]) expect(everything).not.toContain(secret);
      }
    }
    for (const server of servers) for (const secret of [...tokens, ...signatures]) expect(server.logs()).not.toContain(secret);
  });
});
