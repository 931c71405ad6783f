// The reference auth service as the WebAuthn relying party (auth-api-contract.md, extension 8) over real HTTP, with
// a software authenticator (test/helpers/software-authenticator.ts) standing in for the browser: registration with
// discoverable credentials, the sign-in that answers a refresh token, challenges spent by their first use, bound to
// their ceremony and user, expiring after five minutes; origin and RP id checked; counter, backup flags and last use
// kept durably; only the owner lists or removes a passkey; every failure one 401 (sign-in) or 400 (registration).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AuthServiceConfigError, loadAuthServiceConfig } from "../../../server/auth-service/config.js";
import { startAuthService, type RunningAuthService } from "../../../server/auth-service/index.js";
import { uniqueEmail } from "../../helpers/session-server.js";
import { SoftwareAuthenticator } from "../../helpers/software-authenticator.js";

const PASSWORD = "correct horse battery";
const ORIGIN = "https://app.example.test";
const RP_ID = "example.test";

let dataDir: string;
let service: RunningAuthService;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "auth-passkeys-test-"));
  service = await startAuthService({ dataDir, webauthnRpId: RP_ID, webauthnOrigins: [ORIGIN, "https://login.example.test"] });
});
afterAll(async () => {
  await service?.close();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

async function call(method: string, route: string, body?: unknown, refreshToken?: string) {
  const response = await fetch(service.url + route, {
    method,
    headers: {
      accept: "application/ld+json",
      ...(body !== undefined ? { "content-type": "application/ld+json" } : {}),
      ...(refreshToken !== undefined ? { "refresh-token": refreshToken } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : null };
}

/** A new user, signed in with the password: their id and refresh token. */
async function newUser(): Promise<{ id: string; email: string; token: string }> {
  const email = uniqueEmail("passkey");
  const created = await call("POST", "/api/users", { email, password: PASSWORD });
  expect(created.status).toBe(201);
  const login = await call("POST", "/api/refresh_tokens", { email, password: PASSWORD });
  expect(login.status).toBe(201);
  return { id: created.body.id, email, token: login.body.token };
}

const registrationOptions = async (token: string): Promise<PublicKeyCredentialCreationOptionsJSON> => {
  const answer = await call("POST", "/api/passkey_registration_options", {}, token);
  expect(answer.status).toBe(200);
  return answer.body;
};
const signInOptions = async (): Promise<PublicKeyCredentialRequestOptionsJSON> => {
  const answer = await call("POST", "/api/passkey_authentication_options", {});
  expect(answer.status).toBe(200);
  return answer.body;
};

/** A user with one passkey on a fresh authenticator. */
async function userWithPasskey(authenticator = new SoftwareAuthenticator({ origin: ORIGIN })) {
  const user = await newUser();
  const credential = authenticator.create(await registrationOptions(user.token));
  const added = await call("POST", "/api/passkeys", { credential, name: "Laptop" }, user.token);
  expect(added.status).toBe(201);
  return { ...user, authenticator, passkey: added.body as { id: string; name: string } };
}

describe("registration", () => {
  it("offers creation options for a discoverable credential with user verification preferred, and stores the passkey", async () => {
    const user = await newUser();
    const options = await registrationOptions(user.token);
    expect(options.rp).toEqual({ name: RP_ID, id: RP_ID });
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: "required",
      requireResidentKey: true,
      userVerification: "preferred",
    });
    expect(options.user.name).toBe(user.email);
    expect(Buffer.from(options.user.id, "base64url").toString()).toBe(user.id);
    expect(options.timeout).toBe(300_000);
    expect(options.attestation).toBe("none");
    expect(options.excludeCredentials).toEqual([]);

    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN, backedUp: true });
    const added = await call("POST", "/api/passkeys", { credential: authenticator.create(options), name: "  Phone  " }, user.token);
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      "@context": "/api/contexts/Passkey",
      "@id": `/api/passkeys/${added.body.id}`,
      "@type": "Passkey",
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "Phone",
      createdAt: expect.any(String),
      lastUsedAt: null,
    });

    // The row holds the public key, the counter and the backup flags.
    const db = new Database(path.join(dataDir, "auth-service.sqlite"), { readonly: true });
    const row = db.prepare("SELECT * FROM passkeys WHERE id = ?").get(added.body.id) as Record<string, unknown>;
    db.close();
    expect(row).toMatchObject({
      user_id: user.id,
      credential_id: authenticator.credentials[0]!.id,
      counter: 0,
      device_type: "multiDevice",
      backed_up: 1,
    });
    expect(JSON.parse(row.transports as string)).toEqual(["internal", "hybrid"]);
  });

  it("lists the user's passkeys in excludeCredentials, so an authenticator does not make a second one", async () => {
    const { token, authenticator } = await userWithPasskey();
    const options = await registrationOptions(token);
    expect(options.excludeCredentials).toEqual([
      { id: authenticator.credentials[0]!.id, type: "public-key", transports: ["internal", "hybrid"] },
    ]);
    expect(() => authenticator.create(options)).toThrow(/InvalidStateError/);
  });

  it("refuses a registration with a spent, foreign, wrong-origin, wrong-RP-id or sign-in challenge with one 400", async () => {
    const user = await newUser();
    const other = await newUser();
    const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
    const refused = async (credential: unknown, token = user.token) => {
      const answer = await call("POST", "/api/passkeys", { credential }, token);
      expect(answer.status).toBe(400);
      expect(answer.body["hydra:description"]).toBe("The passkey could not be verified.");
    };

    const options = await registrationOptions(user.token);
    const credential = authenticator.create(options);
    await refused(credential, other.token); // another user's challenge (and not spent by that attempt)
    expect((await call("POST", "/api/passkeys", { credential }, user.token)).status).toBe(201);
    await refused(credential); // replayed: spent by its first use
    await refused(
      authenticator.create({ ...(await registrationOptions(user.token)), excludeCredentials: [] }, { origin: "https://evil.example" }),
    );
    await refused(authenticator.create({ ...(await registrationOptions(user.token)), excludeCredentials: [] }, { rpId: "evil.example" }));
    const signIn = await signInOptions();
    await refused(
      authenticator.create({ ...(await registrationOptions(user.token)), excludeCredentials: [] }, { challenge: signIn.challenge }),
    );
    await refused({ id: "x", rawId: "x", type: "public-key", response: { clientDataJSON: "!!", attestationObject: "??" } });
    await refused("not an object");
    expect((await call("POST", "/api/passkeys", { credential }, "0".repeat(128))).status).toBe(403);
    expect((await call("POST", "/api/passkey_registration_options", {})).status).toBe(401);
  });
});

describe("sign-in", () => {
  it("signs in with a passkey: options without allowCredentials, a refresh token naming the user, counter and last use kept", async () => {
    const { id, email, authenticator, passkey, token } = await userWithPasskey();
    const options = await signInOptions();
    expect(options).toMatchObject({ rpId: RP_ID, userVerification: "preferred", timeout: 300_000 });
    expect(options.allowCredentials ?? []).toEqual([]);

    const login = await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(options) });
    expect(login.status).toBe(201);
    expect(login.body).toMatchObject({
      "@type": "RefreshToken",
      user: `/api/users/${id}`,
      email,
      token: expect.stringMatching(/^[0-9a-f]{128}$/),
    });
    const jwt = await call("GET", `/api/users/${id}`, undefined, login.body.token);
    expect(jwt.status).toBe(200);

    const listed = await call("GET", "/api/passkeys", undefined, token);
    expect(listed.status).toBe(200);
    expect(listed.body.member).toEqual([expect.objectContaining({ id: passkey.id, name: "Laptop", lastUsedAt: expect.any(String) })]);
    expect(listed.body.totalItems).toBe(1);
    const db = new Database(path.join(dataDir, "auth-service.sqlite"), { readonly: true });
    expect((db.prepare("SELECT counter FROM passkeys WHERE id = ?").get(passkey.id) as { counter: number }).counter).toBe(1);
    db.close();
  });

  it("refuses a replayed assertion: the challenge is spent by its first use", async () => {
    const { authenticator } = await userWithPasskey();
    const assertion = authenticator.get(await signInOptions());
    expect((await call("POST", "/api/refresh_tokens", { passkey: assertion })).status).toBe(201);
    const replay = await call("POST", "/api/refresh_tokens", { passkey: assertion });
    expect(replay.status).toBe(401);
    expect(replay.body["hydra:description"]).toBe("Invalid credentials.");
  });

  it("refuses a registration challenge used for a sign-in, and spends a challenge even when the assertion fails", async () => {
    const { authenticator, token } = await userWithPasskey();
    const registration = await registrationOptions(token);
    const signIn = await signInOptions();
    expect(
      (await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(signIn, { challenge: registration.challenge }) })).status,
    ).toBe(401);
    // A wrong origin spends the challenge: the right answer afterwards finds nothing.
    expect(
      (await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(signIn, { origin: "https://evil.example" }) })).status,
    ).toBe(401);
    expect((await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(signIn) })).status).toBe(401);
  });

  it("refuses a wrong origin, a wrong RP id, a made-up challenge, a bad signature and a counter gone backwards with one 401", async () => {
    const { authenticator } = await userWithPasskey();
    const refused = async (passkey: unknown) => {
      const answer = await call("POST", "/api/refresh_tokens", { passkey });
      expect(answer.status).toBe(401);
      expect(answer.body["hydra:description"]).toBe("Invalid credentials.");
    };
    await refused(authenticator.get(await signInOptions(), { origin: "https://evil.example" }));
    await refused(authenticator.get(await signInOptions(), { rpId: "evil.example" }));
    await refused(authenticator.get(await signInOptions(), { challenge: Buffer.from("made up by an attacker").toString("base64url") }));
    await refused(authenticator.get(await signInOptions(), { type: "webauthn.create" }));
    const tampered = authenticator.get(await signInOptions());
    tampered.response.signature = authenticator.get(await signInOptions()).response.signature;
    await refused(tampered);
    // A cloned authenticator: its counter does not move past the one stored at the last sign-in.
    expect((await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(await signInOptions()) })).status).toBe(201);
    authenticator.credentials[0]!.counter = 0;
    await refused(authenticator.get(await signInOptions()));
    await refused({
      id: "nope",
      rawId: "nope",
      type: "public-key",
      response: { clientDataJSON: "%%%", authenticatorData: "", signature: "" },
    });
    await refused(["not", "an", "object"]);
    // Another service's origin is accepted only when it is one of WEBAUTHN_ORIGINS.
    const second = new SoftwareAuthenticator({ origin: "https://login.example.test" });
    const user = await userWithPasskey(second);
    expect((await call("POST", "/api/refresh_tokens", { passkey: second.get(await signInOptions()) })).body.user).toBe(
      `/api/users/${user.id}`,
    );
  });

  it("expires a challenge after five minutes", async () => {
    const { authenticator } = await userWithPasskey();
    const options = await signInOptions();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 300_000 + 1_000 });
    expect((await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(options) })).status).toBe(401);
    vi.useRealTimers();
    const fresh = await signInOptions();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 240_000 });
    expect((await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(fresh) })).status).toBe(201);
  });

  it("refuses a removed passkey and an assertion whose user handle is another user's", async () => {
    const { authenticator, passkey, token } = await userWithPasskey();
    const other = await userWithPasskey();
    const foreign = authenticator.get(await signInOptions());
    foreign.response.userHandle = Buffer.from(other.id).toString("base64url");
    expect((await call("POST", "/api/refresh_tokens", { passkey: foreign })).status).toBe(401);

    expect((await call("DELETE", `/api/passkeys/${passkey.id}`, undefined, token)).status).toBe(204);
    expect((await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(await signInOptions()) })).status).toBe(401);
  });
});

describe("durability", () => {
  it("keeps passkeys, their counter and last use across a restart of the service", async () => {
    const { authenticator, token, passkey } = await userWithPasskey();
    expect((await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(await signInOptions()) })).status).toBe(201);
    await service.close();
    service = await startAuthService({ dataDir, webauthnRpId: RP_ID, webauthnOrigins: [ORIGIN, "https://login.example.test"] });
    expect((await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(await signInOptions()) })).status).toBe(201);
    // The counter was kept: an assertion that does not move past it is refused.
    authenticator.credentials[0]!.counter = 1;
    expect((await call("POST", "/api/refresh_tokens", { passkey: authenticator.get(await signInOptions()) })).status).toBe(401);
    const listed = await call("GET", "/api/passkeys", undefined, token);
    expect(listed.body.member).toEqual([expect.objectContaining({ id: passkey.id, lastUsedAt: expect.any(String) })]);
  });
});

describe("the owner only", () => {
  it("lists only the caller's passkeys and answers 404 to removing another user's, like an unknown id", async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    const listed = await call("GET", "/api/passkeys", undefined, bob.token);
    expect(listed.body.member.map((one: { id: string }) => one.id)).toEqual([bob.passkey.id]);

    const foreign = await call("DELETE", `/api/passkeys/${alice.passkey.id}`, undefined, bob.token);
    const unknown = await call("DELETE", "/api/passkeys/00000000-0000-4000-8000-000000000000", undefined, bob.token);
    expect(foreign).toEqual(unknown);
    expect(foreign.status).toBe(404);
    // Alice still signs in with it.
    expect((await call("POST", "/api/refresh_tokens", { passkey: alice.authenticator.get(await signInOptions()) })).status).toBe(201);
    expect((await call("GET", "/api/passkeys")).status).toBe(401);
  });
});

describe("configuration", () => {
  it("reads WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS, defaulting to the demo's http://localhost:3000, and names a bad one", () => {
    expect(loadAuthServiceConfig({})).toMatchObject({ webauthnRpId: undefined, webauthnOrigins: undefined });
    expect(
      loadAuthServiceConfig({ WEBAUTHN_RP_ID: "Example.com", WEBAUTHN_ORIGINS: "https://example.com,https://app.example.com" }),
    ).toMatchObject({ webauthnRpId: "example.com", webauthnOrigins: ["https://example.com", "https://app.example.com"] });
    const problem = (env: Record<string, string>) => {
      try {
        loadAuthServiceConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(AuthServiceConfigError);
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(problem({ WEBAUTHN_RP_ID: "example.com", WEBAUTHN_ORIGINS: "https://example.org" })).toMatch(
      /^WEBAUTHN_ORIGINS: .*not on WEBAUTHN_RP_ID/,
    );
    expect(problem({ WEBAUTHN_ORIGINS: "http://app.example.com" })).toMatch(/^WEBAUTHN_ORIGINS: .*must be https/);
    expect(problem({ WEBAUTHN_RP_ID: "127.0.0.1" })).toMatch(/^WEBAUTHN_RP_ID: /);
    expect(problem({ WEBAUTHN_ORIGINS: "not an origin" })).toMatch(/^WEBAUTHN_ORIGINS: /);
  });
});
