import { expect, fixture, html } from "@open-wc/testing";
import { login, logout, refreshSession, registerPasskey, session } from "../../dist/auth-elements.js";
import { domError, fakeCredential, fakeWebAuthn, pending, type Call, type FakeWebAuthn } from "../../test/browser/fake-webauthn.js";
import { nextEvent, openFrame, rendered, resetMock, seenRequests, setServerConfig, submitForm, until } from "../../test/browser/helpers.js";

const field = (element: HTMLElement, name: string) => element.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
const alertText = (element: HTMLElement) => element.querySelector('[role="alert"]')!.textContent!.trim();
const passkeyButton = (element: ParentNode) =>
  [...element.querySelectorAll<HTMLButtonElement>("button.auth-secondary")].find((button) => /passkey/i.test(button.textContent!));

/** An <auth-login> once it offers passkeys (its WebAuthn code is in). */
async function renderLogin(): Promise<HTMLElement> {
  const element = await rendered(await fixture<HTMLElement>(html`<auth-login></auth-login>`));
  await until(() => passkeyButton(element) && !passkeyButton(element)!.hidden, 3000, "the passkey button");
  return element;
}

describe("<auth-login> with passkeys", () => {
  let fake: FakeWebAuthn | undefined;

  before(async () => {
    // This page's config (fetched once) offers passkeys; each test's reset keeps them on.
    await resetMock();
    await setServerConfig({ passkeys: true });
  });

  beforeEach(async () => {
    await resetMock();
    await setServerConfig({ passkeys: true });
    // user@example.com has the passkey "cred-1".
    await login({ email: "user@example.com", password: "correct-horse" });
    const adding = fakeWebAuthn(async () => fakeCredential("cred-1", "create"));
    await registerPasskey("Laptop");
    adding.restore();
    await logout();
    await refreshSession();
  });

  afterEach(() => fake?.restore());

  it("offers no passkey and loads no WebAuthn code when the server offers none", async () => {
    await resetMock(); // forget the requests of beforeEach (whose registerPasskey loaded the chunk in this page)
    await setServerConfig({ passkeys: false });
    const frame = await openFrame("/test/browser/tab.html?element=auth-login");
    const element = await rendered(frame.contentDocument!.querySelector<HTMLElement>("auth-login")!);
    await until(async () => (await seenRequests()).some((request) => request.path === "/auth/config"), 2000, "the config request");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(passkeyButton(element)!.hidden).to.equal(true);
    expect(field(element, "email").autocomplete).to.equal("username");
    expect((await seenRequests()).filter((request) => request.path.includes("/chunks/"))).to.deep.equal([]);
    frame.remove();
  });

  it("signs in with the button: the browser's dialog, then auth-login and the session store, like a password", async () => {
    fake = fakeWebAuthn(async ({ options }) => (options.mediation ? pending() : fakeCredential("cred-1", "get")), { conditional: true });
    const element = await renderLogin();
    expect(passkeyButton(element)!.textContent!.trim()).to.equal("Sign in with a passkey");
    await until(() => fake!.calls.length === 1, 2000, "the conditional request");
    const signedIn = nextEvent<CustomEvent>(element, "auth-login");
    passkeyButton(element)!.click();
    expect((await signedIn).detail.user).to.deep.include({ email: "user@example.com" });
    expect(session.get().status).to.equal("authenticated");
    // The button aborted autofill's pending request before it asked with a dialog.
    const [autofill, dialog] = fake.calls;
    expect(autofill!.options.mediation).to.equal("conditional");
    expect(autofill!.options.signal!.aborted).to.equal(true);
    expect(dialog!.options.mediation).to.equal(undefined);
    await expect(element).to.be.accessible();
  });

  it('offers passkeys in the e-mail field\'s autofill: autocomplete="username webauthn" and a conditional request, which signs in when the user picks one', async () => {
    let pick: (credential: Credential) => void = () => {};
    fake = fakeWebAuthn(() => new Promise((resolve) => (pick = resolve)), { conditional: true });
    const element = await renderLogin();
    expect(field(element, "email").autocomplete).to.equal("username webauthn");
    await until(() => fake!.calls.length === 1, 2000, "the conditional request");
    expect(fake.calls[0]!.options.mediation).to.equal("conditional");
    const signedIn = nextEvent<CustomEvent>(element, "auth-login");
    pick(fakeCredential("cred-1", "get"));
    expect((await signedIn).detail.user).to.deep.include({ email: "user@example.com" });
    expect(session.get().status).to.equal("authenticated");
  });

  it("a password submit aborts autofill's pending request, and a refused one offers autofill again", async () => {
    fake = fakeWebAuthn(() => pending(), { conditional: true });
    const element = await renderLogin();
    await until(() => fake!.calls.length === 1, 2000, "the conditional request");
    const errors: Event[] = [];
    element.addEventListener("auth-error", (event) => errors.push(event));
    submitForm(element, "user@example.com", "wrong password");
    await until(() => alertText(element) === "Wrong e-mail address or password.", 2000, "the refusal");
    expect(fake.calls[0]!.options.signal!.aborted).to.equal(true);
    expect(errors).to.have.length(1); // the password's, nothing from the aborted request
    await until(() => fake!.calls.length === 2, 2000, "autofill offered again");
    expect(fake.calls[1]!.options.mediation).to.equal("conditional");
    const signedIn = nextEvent(element, "auth-login");
    submitForm(element, "user@example.com", "correct-horse");
    await signedIn;
    expect(fake.calls[1]!.options.signal!.aborted).to.equal(true);
  });

  it("a cancelled dialog says nothing, and autofill is offered again", async () => {
    fake = fakeWebAuthn(
      async ({ options }) => {
        if (options.mediation) return pending();
        throw domError("NotAllowedError");
      },
      { conditional: true },
    );
    const element = await renderLogin();
    const errors: Event[] = [];
    element.addEventListener("auth-error", (event) => errors.push(event));
    await until(() => fake!.calls.length === 1, 2000, "the conditional request");
    passkeyButton(element)!.click();
    await until(() => fake!.calls.length === 3, 2000, "autofill, the dialog, autofill again");
    expect(fake.calls.map((call: Call) => call.options.mediation)).to.deep.equal(["conditional", undefined, "conditional"]);
    expect(alertText(element)).to.equal("");
    expect(errors).to.deep.equal([]);
    expect(passkeyButton(element)!.disabled).to.equal(false);
    expect(session.get().status).to.equal("anonymous");
  });

  it("a passkey the server refuses is announced (auth-error) as a passkey's refusal, not a wrong password", async () => {
    fake = fakeWebAuthn(async ({ options }) => (options.mediation ? pending() : fakeCredential("removed", "get")), { conditional: true });
    const element = await renderLogin();
    const failed = nextEvent<CustomEvent>(element, "auth-error");
    passkeyButton(element)!.click();
    const { detail } = await failed;
    expect(detail.code).to.equal("invalid_credentials");
    expect(alertText(element)).to.equal("This passkey was not accepted. Try another, or your password.");
    expect(detail.message).to.equal(alertText(element));
    expect(session.get().status).to.equal("anonymous");
  });

  it("a device that cannot use passkeys here stays quiet in autofill", async () => {
    fake = fakeWebAuthn(
      async () => {
        throw domError("SecurityError");
      },
      { conditional: true },
    );
    const element = await renderLogin();
    await until(() => fake!.calls.length === 1, 2000, "the conditional request");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alertText(element)).to.equal("");
    expect(fake.calls).to.have.length(1); // and no loop of new requests
    passkeyButton(element)!.click();
    await until(() => alertText(element) !== "", 2000, "the button's failure");
    expect(alertText(element)).to.equal("This device could not use a passkey. Try again, or sign in another way.");
  });

  it("leaving the page (the element removed) aborts the pending request", async () => {
    fake = fakeWebAuthn(() => pending(), { conditional: true });
    const element = await renderLogin();
    await until(() => fake!.calls.length === 1, 2000, "the conditional request");
    element.remove();
    await until(() => fake!.calls[0]!.options.signal!.aborted, 1000, "the abort");
  });

  it("asks the authenticators nothing while someone is signed in, and offers autofill again after a logout", async () => {
    fake = fakeWebAuthn(() => pending(), { conditional: true });
    await login({ email: "user@example.com", password: "correct-horse" });
    await renderLogin();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.calls).to.deep.equal([]);
    await logout();
    await until(() => fake!.calls.length === 1, 2000, "the conditional request");
    expect(fake.calls[0]!.options.mediation).to.equal("conditional");
  });

  it("speaks Dutch", async () => {
    fake = fakeWebAuthn(() => pending(), { conditional: true });
    const element = await renderLogin();
    element.lang = "nl";
    await until(() => passkeyButton(element)!.textContent!.trim() === "Inloggen met een passkey", 2000, "the Dutch label");
  });
});
