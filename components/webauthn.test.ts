import { expect } from "@open-wc/testing";
import {
  listPasskeys,
  login,
  loginWithPasskey,
  logout,
  refreshSession,
  registerPasskey,
  removePasskey,
  session,
} from "../dist/auth-elements.js";
import { base64url, domError, fakeCredential, fakeWebAuthn, mockPasskeys, text, type FakeWebAuthn } from "../test/browser/fake-webauthn.js";
import { resetMock, setServerConfig } from "../test/browser/helpers.js";

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: { code: string; status: number }) => `${error.status} ${error.code}`,
  );

/** Replaces `name` of PublicKeyCredential (a JSON helper) with nothing until the test ends. */
function without(name: "parseCreationOptionsFromJSON" | "parseRequestOptionsFromJSON"): () => void {
  const own = Object.getOwnPropertyDescriptor(PublicKeyCredential, name)!;
  Object.defineProperty(PublicKeyCredential, name, { configurable: true, value: undefined });
  return () => Object.defineProperty(PublicKeyCredential, name, own);
}

describe("the store's passkey actions", () => {
  let fake: FakeWebAuthn | undefined;
  let restores: (() => void)[] = [];

  beforeEach(async () => {
    await resetMock();
    await setServerConfig({ passkeys: true });
    await refreshSession();
  });

  afterEach(() => {
    fake?.restore();
    restores.forEach((restore) => restore());
    restores = [];
  });

  /** Signs user@example.com in and registers a passkey `id` for it; signs out again unless `stay`. */
  async function withPasskey(id: string, stay = false): Promise<void> {
    await login({ email: "user@example.com", password: "correct-horse" });
    const adding = fakeWebAuthn(async () => fakeCredential(id, "create"));
    await registerPasskey("Laptop");
    adding.restore();
    if (!stay) await logout();
  }

  for (const helpers of [true, false]) {
    it(`registerPasskey and loginWithPasskey carry the options as bytes and the credential as JSON ${helpers ? "with the browser's JSON helpers" : "without them (the base64url fallback)"}`, async () => {
      if (!helpers) restores.push(without("parseCreationOptionsFromJSON"), without("parseRequestOptionsFromJSON"));
      await login({ email: "user@example.com", password: "correct-horse" });
      fake = fakeWebAuthn(async ({ kind }) => fakeCredential("cred-1", kind, helpers));
      const added = await registerPasskey("Laptop");
      expect(added).to.include({ name: "Laptop", lastUsedAt: null });
      const created = fake.calls[0]!.options.publicKey as PublicKeyCredentialCreationOptions;
      expect(text(created.challenge)).to.equal("a mock challenge");
      expect(text(created.user.id)).to.equal("u-1");
      expect(created.authenticatorSelection).to.deep.include({ residentKey: "required" });

      await logout();
      const state = await loginWithPasskey();
      expect(state).to.deep.include({ status: "authenticated" });
      expect(session.get().user).to.deep.include({ email: "user@example.com" });
      const requested = fake.calls[1]!.options;
      expect(requested.mediation).to.equal(undefined);
      expect(text((requested.publicKey as PublicKeyCredentialRequestOptions).challenge)).to.equal("a mock challenge");

      const [registration, assertion] = (await mockPasskeys()).bodies;
      expect(registration).to.deep.equal({
        name: "Laptop",
        credential: {
          id: "cred-1",
          rawId: base64url(new TextEncoder().encode("cred-1")),
          type: "public-key",
          authenticatorAttachment: "platform",
          clientExtensionResults: {},
          response: {
            clientDataJSON: base64url(new TextEncoder().encode("client data")),
            attestationObject: base64url(new TextEncoder().encode("attestation")),
            transports: ["internal"],
          },
        },
      });
      expect(assertion!.credential.response).to.deep.equal({
        clientDataJSON: base64url(new TextEncoder().encode("client data")),
        authenticatorData: base64url(new TextEncoder().encode("authenticator data")),
        signature: base64url(new TextEncoder().encode("signature")),
        userHandle: base64url(new TextEncoder().encode("u-1")),
      });
    });
  }

  it("a second passkey's creation lists the first in excludeCredentials, as bytes", async () => {
    const id = base64url(new TextEncoder().encode("credential one")); // a credential id is base64url
    await withPasskey(id, true);
    fake = fakeWebAuthn(async () => fakeCredential("cred-2", "create"));
    await registerPasskey();
    const excluded = (fake.calls[0]!.options.publicKey as PublicKeyCredentialCreationOptions).excludeCredentials!;
    expect(excluded.map((entry) => text(entry.id as ArrayBuffer))).to.deep.equal(["credential one"]);
  });

  it("a cancelled or timed-out ceremony resolves null and changes nothing", async () => {
    await withPasskey("cred-1");
    fake = fakeWebAuthn(async () => {
      throw domError("NotAllowedError");
    });
    expect(await loginWithPasskey()).to.equal(null);
    expect(session.get().status).to.equal("anonymous");
    await login({ email: "user@example.com", password: "correct-horse" });
    expect(await registerPasskey("Phone")).to.equal(null);
    expect((await listPasskeys()).map((passkey) => passkey.name)).to.deep.equal(["Laptop"]);
  });

  it("an aborted one resolves null too, and a conditional request waits for the user", async () => {
    await withPasskey("cred-1");
    fake = fakeWebAuthn(() => new Promise(() => {}), { conditional: true });
    const controller = new AbortController();
    const waiting = loginWithPasskey({ conditional: true, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.calls).to.have.length(1);
    expect(fake.calls[0]!.options.mediation).to.equal("conditional");
    controller.abort();
    expect(await waiting).to.equal(null);
    expect(session.get().status).to.equal("anonymous");
  });

  it("a conditional request resolves null at once where the browser has no conditional mediation", async () => {
    fake = fakeWebAuthn(async () => fakeCredential("cred-1", "get"), { conditional: false });
    expect(await loginWithPasskey({ conditional: true })).to.equal(null);
    expect(fake.calls).to.have.length(0);
  });

  it("a passkey the server does not know is refused with 401 invalid_credentials", async () => {
    fake = fakeWebAuthn(async () => fakeCredential("unknown", "get"));
    expect(await codeOf(loginWithPasskey())).to.equal("401 invalid_credentials");
    expect(session.get().status).to.equal("anonymous");
  });

  it("the authenticator's own refusals: passkey_exists for a second one on the same device, passkey_failed for the rest", async () => {
    await login({ email: "user@example.com", password: "correct-horse" });
    fake = fakeWebAuthn(async () => {
      throw domError("InvalidStateError");
    });
    expect(await codeOf(registerPasskey())).to.equal("0 passkey_exists");
    fake.restore();
    fake = fakeWebAuthn(async () => {
      throw domError("SecurityError");
    });
    expect(await codeOf(loginWithPasskey())).to.equal("0 passkey_failed");
  });

  it("listPasskeys and removePasskey: a removed passkey signs in no more; removing it again is 404 not_found", async () => {
    await withPasskey("cred-1", true);
    const [passkey] = await listPasskeys();
    expect(passkey).to.include({ name: "Laptop", lastUsedAt: null });
    expect(Date.parse(passkey!.createdAt)).to.be.greaterThan(0);
    await removePasskey(passkey!.id);
    expect(await listPasskeys()).to.deep.equal([]);
    expect(await codeOf(removePasskey(passkey!.id))).to.equal("404 not_found");
    await logout();
    fake = fakeWebAuthn(async () => fakeCredential("cred-1", "get"));
    expect(await codeOf(loginWithPasskey())).to.equal("401 invalid_credentials");
  });

  it("registerPasskey and listPasskeys need a session: 401 signs the page out", async () => {
    fake = fakeWebAuthn(async () => fakeCredential("cred-1", "create"));
    expect(await codeOf(registerPasskey())).to.equal("401 unauthenticated");
    expect(await codeOf(listPasskeys())).to.equal("401 unauthenticated");
    expect(fake.calls).to.have.length(0);
  });
});
