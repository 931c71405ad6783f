// The session cookie and its identifier (security 1 and 2): flags over plain HTTP and behind TLS
// termination (Secure and the __Host- name), >= 128-bit CSPRNG ids, and ids read from the cookie only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  PASSWORD,
  parseSetCookie,
  cookieIdOf,
  startTestSessionServer,
  uniqueEmail,
  type TestSessionServer,
} from "../../helpers/session-server.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(STORE_MODES)("session cookie (%s store)", (store) => {
  let plain: TestSessionServer;
  let https: TestSessionServer;
  beforeAll(async () => {
    const redisUrl = store === "redis" ? redis.url : undefined;
    plain = await startTestSessionServer({ redisUrl });
    https = await startTestSessionServer({ redisUrl, env: { COOKIE_SECURE: "true", TRUST_PROXY: "1" } });
  });
  afterAll(async () => {
    await plain?.close();
    await https?.close();
  });

  it("security 1: over plain HTTP the cookie is HttpOnly, SameSite=Strict, Path=/, no Domain, not Secure, unprefixed", async () => {
    const c = plain.client();
    const response = await c.post("/auth/signup", { email: uniqueEmail(), password: PASSWORD });
    expect(response.status).toBe(201);
    expect(response.setCookie).toHaveLength(1);
    const cookie = parseSetCookie(response.setCookie[0]!);
    expect(cookie.name).toBe("auth.sid");
    expect(cookie.attributes).toHaveProperty("httponly", "");
    expect(cookie.attributes.samesite).toBe("Strict");
    expect(cookie.attributes.path).toBe("/");
    expect(cookie.attributes).not.toHaveProperty("domain");
    expect(cookie.attributes).not.toHaveProperty("secure");
    // The cookie lives no longer than the absolute timeout (30 days by default).
    const expires = Date.parse(cookie.attributes.expires!);
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000 + 5_000);
    expect(response.header("strict-transport-security")).toBeUndefined();
  });

  it("security 1: over HTTPS (COOKIE_SECURE=true, TRUST_PROXY=1, X-Forwarded-Proto: https) the cookie is Secure and named __Host-", async () => {
    const c = https.client({ headers: { "x-forwarded-proto": "https" } });
    const response = await c.post("/auth/signup", { email: uniqueEmail(), password: PASSWORD });
    expect(response.status).toBe(201);
    expect(response.setCookie).toHaveLength(1);
    const cookie = parseSetCookie(response.setCookie[0]!);
    expect(cookie.name).toBe("__Host-auth.sid");
    expect(cookie.attributes).toHaveProperty("secure", "");
    expect(cookie.attributes).toHaveProperty("httponly", "");
    expect(cookie.attributes.samesite).toBe("Strict");
    expect(cookie.attributes.path).toBe("/"); // __Host- requires Path=/ and no Domain
    expect(cookie.attributes).not.toHaveProperty("domain");
    expect(response.header("strict-transport-security")).toMatch(/max-age=\d+/);
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);

    // Logout clears it with the same name and attributes, Secure included.
    const logout = await c.post("/auth/logout");
    expect(logout.status).toBe(204);
    const cleared = parseSetCookie(logout.setCookie[0]!);
    expect(cleared.name).toBe("__Host-auth.sid");
    expect(cleared.value).toBe("");
    expect(cleared.attributes).toMatchObject({ path: "/", httponly: "", secure: "", samesite: "Strict" });
    expect(cleared.attributes).not.toHaveProperty("domain");
    expect(Date.parse(cleared.attributes.expires!)).toBeLessThan(Date.now());
    expect((await c.get("/auth/session")).body).toEqual({ authenticated: false });
  });

  it("security 1: a Secure cookie is never sent back over plain HTTP", async () => {
    const c = https.client();
    const response = await c.post("/auth/signup", { email: uniqueEmail(), password: PASSWORD });
    // express-session refuses to set a Secure cookie on a request that did not arrive over HTTPS.
    expect(response.setCookie).toEqual([]);
  });

  it("security 1: with Secure cookies on, a sign-in over plain HTTP is refused up front and leaves no session behind", async () => {
    const c = https.client();
    const email = uniqueEmail("plain-over-secure");
    const signup = await c.post("/auth/signup", { email, password: PASSWORD });
    expect(signup.status).toBe(400);
    expect(signup.body).toMatchObject({ error: "bad_request" });
    expect(signup.setCookie).toEqual([]);
    expect(await https.storeSessionsOf(email)).toHaveLength(0);
    const login = await c.post("/auth/login", { email, password: PASSWORD });
    expect(login.status).toBe(400);
    expect(login.setCookie).toEqual([]);
  });

  it("security 2: session ids carry at least 128 bits, look random and are never reused", async () => {
    const sids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const c = plain.client();
      const email = uniqueEmail();
      await c.post("/auth/signup", { email, password: PASSWORD });
      sids.add(cookieIdOf(c.jar.get("auth.sid")!));
      await c.post("/auth/login", { email, password: PASSWORD });
      sids.add(cookieIdOf(c.jar.get("auth.sid")!));
    }
    expect(sids.size).toBe(10);
    for (const sid of sids) {
      expect(sid).toMatch(/^[A-Za-z0-9_-]+$/); // base64url
      expect(sid.length * 6).toBeGreaterThanOrEqual(128);
    }
    // Crude randomness check: characters spread over the alphabet, no shared prefix.
    const all = [...sids].join("");
    expect(new Set(all).size).toBeGreaterThan(40);
    const prefixes = new Set([...sids].map((sid) => sid.slice(0, 4)));
    expect(prefixes.size).toBe(sids.size);
  });

  it("security 2: the session id is read only from the cookie (not from a header, query or body)", async () => {
    const c = plain.client();
    await c.post("/auth/signup", { email: uniqueEmail(), password: PASSWORD });
    const value = c.jar.get("auth.sid")!;
    const sid = cookieIdOf(value);
    const other = plain.client();
    for (const headers of [{ "x-session-id": sid }, { authorization: `Bearer ${value}` }, { "x-auth-sid": value }]) {
      expect((await other.get("/auth/session", { headers })).body).toEqual({ authenticated: false });
    }
    expect((await other.get(`/auth/session?sid=${encodeURIComponent(value)}&auth.sid=${encodeURIComponent(value)}`)).body).toEqual({
      authenticated: false,
    });
    // An unsigned id or one signed with another secret is no session either.
    expect((await other.get("/auth/session", { headers: { cookie: `auth.sid=${sid}` } })).body).toEqual({ authenticated: false });
    expect((await other.get("/auth/session", { headers: { cookie: `auth.sid=s%3A${sid}.AAAA` } })).body).toEqual({ authenticated: false });
    // And a logout through a header does not end the real session.
    expect((await other.post("/auth/logout", undefined, { headers: { "x-session-id": sid } })).status).toBe(204);
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);
  });
});
