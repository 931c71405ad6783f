// Passkeys through the session server (design.md "Passkeys (WebAuthn)"), over real HTTP to the reference auth service
// in-process, with a software authenticator in place of the browser's: add a passkey signed in, sign in with it as a
// password login does (regenerated id, per-user index, same body, same logs, the login's per-address limit), and every
// way a ceremony can be bent refused with one 401 invalid_credentials (sign-in) or 400 passkey_invalid (registration).
// Then: only the owner lists or removes, the feature off is 404, CSRF and sign-in rules, an OIDC provider's session.
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startAuthService, type RunningAuthService } from "../../../server/auth-service/index.js";
import { ConfigError, loadConfig } from "../../../server/config.js";
import { referenceWebauthn } from "../../../server/start.js";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { newBrowser, oidcEnv, registerServers, signIn as oidcSignIn, startIdp, type TestProvider } from "../../helpers/oidc.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  PASSWORD,
  parseSetCookie,
  sidOf,
  startTestSessionServer,
  uniqueEmail,
  type CookieClient,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";
import { SoftwareAuthenticator, type CeremonyOverrides } from "../../helpers/software-authenticator.js";

const CHROME_ON_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** The origin a browser would show for this server: WebAuthn needs a name, so 127.0.0.1 is localhost. */
const pageOrigin = (server: TestSessionServer): string => server.url.replace("127.0.0.1", "localhost");

function tools(server: () => TestSessionServer) {
  const client = (): CookieClient => server().client({ headers: { "user-agent": CHROME_ON_MAC } });
  const authenticator = (): SoftwareAuthenticator => new SoftwareAuthenticator({ origin: pageOrigin(server()) });
  const sid = (c: CookieClient): string => sidOf(c.jar.get(server().config.cookieName)!);
  return {
    client,
    authenticator,
    sid,
    async signedUp(): Promise<{ c: CookieClient; email: string; id: string }> {
      const c = client();
      const email = uniqueEmail("passkey");
      const response = await c.post("/auth/signup", { email, password: PASSWORD });
      expect(response.status).toBe(201);
      return { c, email, id: response.body.user.id as string };
    },
    async addPasskey(c: CookieClient, device: SoftwareAuthenticator, body: Record<string, unknown> = {}): Promise<TestResponse> {
      const options = await c.post("/auth/passkeys/register/options");
      expect(options.status).toBe(200);
      return c.post("/auth/passkeys", { credential: device.create(options.body), ...body });
    },
    async passkeyLogin(c: CookieClient, device: SoftwareAuthenticator, overrides: CeremonyOverrides = {}): Promise<TestResponse> {
      const options = await c.post("/auth/passkeys/login/options");
      expect(options.status).toBe(200);
      return c.post("/auth/passkeys/login", { credential: device.get(options.body, overrides) });
    },
  };
}

const refusedLogin = (response: TestResponse): void => {
  expect(response.status).toBe(401);
  expect(response.body).toEqual({ error: "invalid_credentials", message: "The e-mail address or password is incorrect." });
  expect(response.setCookie.filter((line) => line.startsWith("auth.sid"))).toEqual([]);
};

describe.each(STORE_MODES)("passkey ceremonies (%s store)", (store) => {
  let server: TestSessionServer;
  const t = tools(() => server);
  beforeAll(async () => {
    server = await startTestSessionServer({ redisUrl: store === "redis" ? redis.url : undefined });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("security 32: adds a passkey, signs in with it like a password login (new session id, old one gone, same body, indexed)", async () => {
    expect((await t.client().get("/auth/config")).body.passkeys).toBe(true);
    const { c, email, id } = await t.signedUp();
    const options = await c.post("/auth/passkeys/register/options");
    expect(options.status).toBe(200);
    expect(options.header("cache-control")).toContain("no-store");
    expect(options.body).toMatchObject({
      rp: { id: "localhost" },
      user: { name: email },
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
      excludeCredentials: [],
    });
    const device = t.authenticator();
    const added = await c.post("/auth/passkeys", { credential: device.create(options.body), name: "Work laptop" });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "Work laptop",
      createdAt: expect.any(String),
      lastUsedAt: null,
    });

    // The same browser, signed in with its password, signs in again with the passkey: the id changes.
    const before = t.sid(c);
    const login = await t.passkeyLogin(c, device);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ authenticated: true, user: { id, email, emailVerified: false }, expiresAt: expect.any(String) });
    expect(t.sid(c)).not.toBe(before);
    expect(await server.hasSession(before)).toBe(false);
    expect(await server.hasSession(t.sid(c))).toBe(true);
    expect((await c.get("/auth/session")).body).toMatchObject({ authenticated: true, user: { id, email } });
    // Indexed under the user like any login: it is in their list of sessions.
    const sessions = await c.get("/auth/sessions");
    expect(sessions.body.sessions).toEqual([expect.objectContaining({ current: true, userAgent: "Chrome on macOS" })]);
    expect(server.logs()).toContain(`"event":"login_ok","method":"passkey","userId":"${id}"`);

    // A browser with no session at all signs in too, and the list shows when the passkey was last used.
    const fresh = t.client();
    expect((await t.passkeyLogin(fresh, device)).status).toBe(200);
    const listed = await fresh.get("/auth/passkeys");
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      passkeys: [{ id: added.body.id, name: "Work laptop", createdAt: added.body.createdAt, lastUsedAt: expect.any(String) }],
    });
  });

  it("security 32: refuses a replayed assertion with 401 invalid_credentials", async () => {
    const { c } = await t.signedUp();
    const device = t.authenticator();
    expect((await t.addPasskey(c, device)).status).toBe(201);
    const options = await c.post("/auth/passkeys/login/options");
    const assertion = device.get(options.body);
    expect((await c.post("/auth/passkeys/login", { credential: assertion })).status).toBe(200);
    refusedLogin(await c.post("/auth/passkeys/login", { credential: assertion }));
    refusedLogin(await t.client().post("/auth/passkeys/login", { credential: assertion }));
  });

  it("security 32: one assertion sent twice at once signs in exactly once; the challenge's cookie is HttpOnly, Lax, at most 5 minutes", async () => {
    const { c } = await t.signedUp();
    const device = t.authenticator();
    expect((await t.addPasskey(c, device)).status).toBe(201);
    const browser = t.client();
    const options = await browser.post("/auth/passkeys/login/options");
    const cookie = parseSetCookie(options.setCookie.find((line) => line.startsWith("auth.passkey="))!);
    expect(cookie.attributes).toMatchObject({ httponly: "", samesite: "Lax", path: "/" });
    expect(Number(cookie.attributes["max-age"])).toBeLessThanOrEqual(300);
    const assertion = device.get(options.body);
    const answers = await Promise.all([1, 2].map(() => browser.post("/auth/passkeys/login", { credential: assertion })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
  });
});

describe("passkey ceremonies on Redis", () => {
  let server: TestSessionServer;
  const t = tools(() => server);
  beforeAll(async () => {
    server = await startTestSessionServer({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("security 10: after adding a passkey, signing in with it, a refused assertion and a removal, every key starts with ae: and has a TTL", async () => {
    const { c } = await t.signedUp();
    const device = t.authenticator();
    const added = await t.addPasskey(c, device);
    const browser = t.client();
    expect((await t.passkeyLogin(browser, device)).status).toBe(200);
    refusedLogin(await t.passkeyLogin(t.client(), device, { origin: "https://evil.example" }));
    await t.client().post("/auth/passkeys/login/options"); // a challenge left unused
    expect((await browser.request("DELETE", `/auth/passkeys/${added.body.id}`)).status).toBe(204);

    const inspect = createClient({ url: redis.url });
    await inspect.connect();
    try {
      const keys: string[] = [];
      for await (const batch of inspect.scanIterator({ MATCH: "*", COUNT: 1000 })) keys.push(...batch);
      expect(keys.some((key) => key.startsWith("ae:passkey-login:"))).toBe(true);
      for (const key of keys) {
        expect(key).toMatch(/^ae:/);
        expect({ key, ttl: (await inspect.pTTL(key)) > 0 }).toEqual({ key, ttl: true });
      }
    } finally {
      await inspect.close();
    }
  });
});

describe("passkeys through the session server", () => {
  let server: TestSessionServer;
  const t = tools(() => server);
  beforeAll(async () => {
    server = await startTestSessionServer();
  });
  afterAll(async () => {
    await server?.close();
    vi.useRealTimers();
  });

  it("security 32: refuses a challenge of another ceremony or of another browser", async () => {
    const { c } = await t.signedUp();
    const device = t.authenticator();
    expect((await t.addPasskey(c, device)).status).toBe(201);
    // A registration challenge used to sign in.
    const registration = await c.post("/auth/passkeys/register/options");
    const login = await c.post("/auth/passkeys/login/options");
    refusedLogin(await c.post("/auth/passkeys/login", { credential: device.get(login.body, { challenge: registration.body.challenge }) }));
    // A sign-in challenge another browser asked for: refused here, and spent for that browser too.
    const victim = t.client();
    const theirs = await victim.post("/auth/passkeys/login/options");
    const assertion = device.get(theirs.body);
    refusedLogin(await t.client().post("/auth/passkeys/login", { credential: assertion }));
    refusedLogin(await victim.post("/auth/passkeys/login", { credential: assertion }));
    // A challenge nobody asked for.
    refusedLogin(
      await c.post("/auth/passkeys/login", {
        credential: device.get({ challenge: Buffer.from("forged").toString("base64url"), rpId: "localhost" }),
      }),
    );
  });

  it("security 32: refuses an expired challenge (five minutes)", async () => {
    const { c } = await t.signedUp();
    const device = t.authenticator();
    expect((await t.addPasskey(c, device)).status).toBe(201);
    const options = await c.post("/auth/passkeys/login/options");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 301_000 });
    try {
      refusedLogin(await c.post("/auth/passkeys/login", { credential: device.get(options.body) }));
    } finally {
      vi.useRealTimers();
    }
  });

  it("security 32: refuses a wrong origin and a wrong RP id", async () => {
    const { c } = await t.signedUp();
    const device = t.authenticator();
    expect((await t.addPasskey(c, device)).status).toBe(201);
    refusedLogin(await t.passkeyLogin(c, device, { origin: "https://evil.example" }));
    refusedLogin(await t.passkeyLogin(c, device, { origin: "http://127.0.0.1:3000" }));
    refusedLogin(await t.passkeyLogin(c, device, { rpId: "evil.example" }));
    expect((await t.passkeyLogin(c, device)).status).toBe(200);
  });

  it("security 32: a removed passkey no longer signs in", async () => {
    const { c } = await t.signedUp();
    const device = t.authenticator();
    const added = await t.addPasskey(c, device);
    const removed = await c.request("DELETE", `/auth/passkeys/${added.body.id}`);
    expect(removed.status).toBe(204);
    expect((await c.get("/auth/passkeys")).body).toEqual({ passkeys: [] });
    refusedLogin(await t.passkeyLogin(t.client(), device));
  });

  it("security 32: only the owner lists or removes a passkey; another user's id is the same 404 as an unknown one", async () => {
    const alice = await t.signedUp();
    const bob = await t.signedUp();
    const alicesDevice = t.authenticator();
    const alices = await t.addPasskey(alice.c, alicesDevice);
    const bobs = await t.addPasskey(bob.c, t.authenticator());
    expect((await bob.c.get("/auth/passkeys")).body.passkeys.map((one: { id: string }) => one.id)).toEqual([bobs.body.id]);

    const foreign = await bob.c.request("DELETE", `/auth/passkeys/${alices.body.id}`);
    const unknown = await bob.c.request("DELETE", "/auth/passkeys/00000000-0000-4000-8000-000000000000");
    const notAnId = await bob.c.request("DELETE", "/auth/passkeys/..%2f..%2fusers");
    for (const answer of [foreign, unknown, notAnId]) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: "not_found", message: "There is nothing here." });
    }
    // Alice's passkey is untouched: she still signs in with it.
    expect((await t.passkeyLogin(t.client(), alicesDevice)).body.user.id).toBe(alice.id);
  });

  it("puts the user's passkeys in excludeCredentials, names a passkey after the browser by default, and refuses a bad registration with 400 passkey_invalid", async () => {
    const { c } = await t.signedUp();
    const device = t.authenticator();
    const first = await t.addPasskey(c, device);
    expect(first.body.name).toBe("Chrome on macOS");
    const options = await c.post("/auth/passkeys/register/options");
    expect(options.body.excludeCredentials).toEqual([expect.objectContaining({ id: device.credentials[0]!.id, type: "public-key" })]);

    const invalid = async (credential: unknown): Promise<void> => {
      const answer = await c.post("/auth/passkeys", { credential });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: "passkey_invalid", message: "This passkey could not be added. Please try again." });
    };
    const other = t.authenticator();
    const fresh = await c.post("/auth/passkeys/register/options");
    const credential = other.create(fresh.body);
    expect((await c.post("/auth/passkeys", { credential })).status).toBe(201);
    await invalid(credential); // its challenge is spent
    await invalid(t.authenticator().create((await c.post("/auth/passkeys/register/options")).body, { origin: "https://evil.example" }));
    const signInChallenge = (await c.post("/auth/passkeys/login/options")).body.challenge as string;
    await invalid(t.authenticator().create((await c.post("/auth/passkeys/register/options")).body, { challenge: signInChallenge }));
    await invalid({ id: "x", response: { clientDataJSON: 42 } });
    for (const body of [{}, { credential: "text" }, { credential: {}, name: 7 }, { credential: {}, name: "x".repeat(65) }]) {
      const answer = await c.post("/auth/passkeys", body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe("bad_request");
    }
    expect((await c.get("/auth/passkeys")).body.passkeys).toHaveLength(2);
  });

  it("ends the session when the auth service no longer takes its refresh token (401 session_expired)", async () => {
    const { c, id } = await t.signedUp();
    const sid = t.sid(c);
    const db = new Database(path.join(server.dataDir, "auth-service", "auth-service.sqlite"));
    db.prepare("DELETE FROM refresh_tokens WHERE user_id = ?").run(id);
    db.close();
    const answer = await c.post("/auth/passkeys/register/options");
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe("session_expired");
    expect(await server.hasSession(sid)).toBe(false);
    expect((await c.get("/auth/session")).body.authenticated).toBe(false);
  });

  it("answers malformed sign-ins with a 4xx, never a 5xx", async () => {
    const c = t.client();
    for (const credential of [
      undefined,
      "text",
      [],
      { response: "x" },
      { response: { clientDataJSON: "e30" } },
      { id: 1, response: { clientDataJSON: "%%" } },
    ]) {
      const answer = await c.post("/auth/passkeys/login", credential === undefined ? {} : { credential });
      expect([400, 401]).toContain(answer.status);
    }
    expect((await c.post("/auth/passkeys/login", undefined, { raw: "{", headers: { "content-type": "application/json" } })).status).toBe(
      400,
    );
  });

  it("needs a session for the account routes and the CSRF header and an allowed origin for every unsafe one", async () => {
    const anonymous = t.client();
    for (const [method, path] of [
      ["POST", "/auth/passkeys/register/options"],
      ["POST", "/auth/passkeys"],
      ["GET", "/auth/passkeys"],
      ["DELETE", "/auth/passkeys/00000000-0000-4000-8000-000000000000"],
    ] as const) {
      const answer = await anonymous.request(method, path, method === "POST" && path === "/auth/passkeys" ? { credential: {} } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(401);
      expect(answer.body.error).toBe("unauthenticated");
    }
    const { c } = await t.signedUp();
    for (const path of ["/auth/passkeys/login/options", "/auth/passkeys/login", "/auth/passkeys/register/options", "/auth/passkeys"]) {
      expect((await c.post(path, {}, { headers: { "x-csrf": undefined } })).status, path).toBe(403);
      expect((await c.post(path, {}, { headers: { origin: "https://evil.example" } })).status, path).toBe(403);
    }
    expect(
      (await c.request("DELETE", "/auth/passkeys/00000000-0000-4000-8000-000000000000", undefined, { headers: { "x-csrf": undefined } }))
        .status,
    ).toBe(403);
    expect((await c.get("/auth/passkeys/login")).status).toBe(405);
  });
});

describe("the passkey login's rate limit", () => {
  let server: TestSessionServer;
  const t = tools(() => server);
  beforeAll(async () => {
    server = await startTestSessionServer({ env: { RATE_LIMIT_ADDRESS_FAILURES: "3" } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("security 32: counts refused passkey sign-ins on the login's per-address limit (429 with Retry-After, for passwords too)", async () => {
    const device = t.authenticator();
    const { c, email } = await t.signedUp();
    expect((await t.addPasskey(c, device)).status).toBe(201);
    for (let attempt = 0; attempt < 3; attempt++)
      refusedLogin(await t.passkeyLogin(t.client(), device, { origin: "https://evil.example" }));
    const limited = await t.passkeyLogin(t.client(), device);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe("rate_limited");
    expect(Number(limited.header("retry-after"))).toBeGreaterThan(0);
    expect((await t.client().post("/auth/login", { email, password: PASSWORD })).status).toBe(429);
  });
});

describe("passkeys off", () => {
  let server: TestSessionServer;
  beforeAll(async () => {
    server = await startTestSessionServer({ env: { AUTH_FEATURES: "password-reset,email-verification,password-change" } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers 404 not_found on all six routes and says passkeys: false in the config", async () => {
    const c = server.client();
    expect((await c.get("/auth/config")).body.passkeys).toBe(false);
    expect((await c.post("/auth/signup", { email: uniqueEmail("off"), password: PASSWORD })).status).toBe(201);
    for (const [method, path] of [
      ["POST", "/auth/passkeys/login/options"],
      ["POST", "/auth/passkeys/login"],
      ["POST", "/auth/passkeys/register/options"],
      ["POST", "/auth/passkeys"],
      ["GET", "/auth/passkeys"],
      ["DELETE", "/auth/passkeys/00000000-0000-4000-8000-000000000000"],
    ] as const) {
      const answer = await c.request(method, path, method === "POST" ? { credential: {} } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error).toBe("not_found");
    }
  });
});

describe("a session signed in through an OpenID Connect provider", () => {
  let idp: TestProvider;
  let server: TestSessionServer;
  beforeAll(async () => {
    idp = await startIdp();
    server = await startTestSessionServer({ env: oidcEnv(idp) });
    registerServers(idp, [server.url]);
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  it("lists no passkeys and cannot add one (400: the provider keeps that user's credentials), nor remove any (404)", async () => {
    const browser = newBrowser(server.client());
    expect((await oidcSignIn(browser, uniqueEmail("oidc"))).status).toBe(302);
    const c = browser.rp;
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    expect((await c.get("/auth/passkeys")).body).toEqual({ passkeys: [] });
    const options = await c.post("/auth/passkeys/register/options");
    expect(options.status).toBe(400);
    expect(options.body.error).toBe("bad_request");
    expect((await c.post("/auth/passkeys", { credential: {} })).status).toBe(400);
    expect((await c.request("DELETE", "/auth/passkeys/00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });
});

describe("an external auth service (AUTH_SERVICE, AUTH_FEATURES=passkeys) in another dialect", () => {
  let dataDir: string;
  let reference: RunningAuthService;
  let dialect: http.Server;
  let server: TestSessionServer;
  const t = tools(() => server);
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ae-passkeys-external-"));
    reference = await startAuthService({ dataDir, webauthnOrigins: ["http://localhost:3000"] });
    // In front of it, the older habits the client must accept: no e-mail in the login answer (the session server asks
    // GET /api/users/<id> for it), collections as hydra:member.
    dialect = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", async () => {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([name]) => !["host", "connection", "content-length"].includes(name)),
        );
        const answer = await fetch(reference.url + req.url, {
          method: req.method,
          headers: headers as Record<string, string>,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        let text = await answer.text();
        if (text && answer.headers.get("content-type")?.includes("json")) {
          const body = JSON.parse(text) as Record<string, unknown>;
          if (req.url === "/api/refresh_tokens") delete body.email;
          if (req.url === "/api/passkeys" && req.method === "GET") {
            body["hydra:member"] = body.member;
            delete body.member;
          }
          text = JSON.stringify(body);
        }
        res
          .writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" })
          .end(answer.status === 204 ? undefined : text);
      });
    });
    await new Promise<void>((resolve) => dialect.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(dialect.address() as AddressInfo).port}`;
    server = await startTestSessionServer({ authService: origin, env: { AUTH_FEATURES: "passkeys" } });
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => dialect?.close(resolve));
    await reference?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("adds, lists, signs in with and removes a passkey; the e-mail comes from the user resource", async () => {
    const { c, email, id } = await t.signedUp();
    const device = new SoftwareAuthenticator({ origin: "http://localhost:3000" });
    const added = await t.addPasskey(c, device, { name: "Key" });
    expect(added.status).toBe(201);
    expect((await c.get("/auth/passkeys")).body.passkeys).toEqual([expect.objectContaining({ id: added.body.id, name: "Key" })]);
    const fresh = t.client();
    const login = await t.passkeyLogin(fresh, device);
    expect(login.status).toBe(200);
    expect(login.body.user).toEqual({ id, email, emailVerified: false });
    expect((await fresh.request("DELETE", `/auth/passkeys/${added.body.id}`)).status).toBe(204);
    refusedLogin(await t.passkeyLogin(t.client(), device));
  });
});

describe("the relying party of the in-process reference service", () => {
  const own = "http://127.0.0.1:3000";
  const settings = (env: Record<string, string>) => referenceWebauthn(loadConfig({ SESSION_SECRET: "x".repeat(32), ...env }), own);

  it("derives WEBAUTHN_ORIGINS from the origins browsers use (loopback read as localhost), and takes WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS as given", () => {
    expect(settings({})).toEqual({ rpId: "localhost", origins: ["http://localhost:3000"] });
    // The demo (`npm start`): PUBLIC_ORIGIN is the front's http://127.0.0.1:<port>, which a browser opens as localhost.
    expect(settings({ PUBLIC_ORIGIN: "http://127.0.0.1:4321" })).toEqual({ rpId: "localhost", origins: ["http://localhost:4321"] });
    expect(settings({ PUBLIC_ORIGIN: "https://app.example.com" })).toEqual({
      rpId: "app.example.com",
      origins: ["https://app.example.com"],
    });
    expect(settings({ PUBLIC_ORIGIN: "https://app.example.com", WEBAUTHN_RP_ID: "example.com" })).toEqual({
      rpId: "example.com",
      origins: ["https://app.example.com"],
    });
    expect(settings({ ALLOWED_ORIGINS: "https://a.example.com,http://plain.example.com", WEBAUTHN_RP_ID: "example.com" })).toEqual({
      rpId: "example.com",
      origins: ["https://a.example.com"],
    });
    // An origin on an IP address cannot hold passkeys: left out, and the start goes on with the defaults.
    expect(settings({ PUBLIC_ORIGIN: "https://192.0.2.7" })).toEqual({ rpId: undefined, origins: undefined });
    expect(settings({ WEBAUTHN_RP_ID: "example.com", WEBAUTHN_ORIGINS: "https://example.com" })).toEqual({
      rpId: "example.com",
      origins: ["https://example.com"],
    });
    expect(() =>
      loadConfig({ SESSION_SECRET: "x".repeat(32), WEBAUTHN_ORIGINS: "https://a.example.org", WEBAUTHN_RP_ID: "example.com" }),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig({ SESSION_SECRET: "x".repeat(32), WEBAUTHN_ORIGINS: "https://a.example.org", WEBAUTHN_RP_ID: "example.com" }),
    ).toThrow(/^WEBAUTHN_ORIGINS/);
  });
});
