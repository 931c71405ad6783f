import { expect, fixture, html } from "@open-wc/testing";
import { login, loginWithPasskey, logout, refreshSession, registerPasskey } from "../../dist/auth-elements.js";
import { domError, fakeCredential, fakeWebAuthn, mockPasskeys, type FakeWebAuthn } from "../../test/browser/fake-webauthn.js";
import { delayAuth, nextEvent, resetMock, setServerConfig, until } from "../../test/browser/helpers.js";

const section = (element: HTMLElement) =>
  [...element.querySelectorAll<HTMLElement>(".auth-section")].find(
    (candidate) => candidate.querySelector("h2")!.textContent!.trim() === "Passkeys",
  );
const entries = (element: HTMLElement) => [...(section(element)?.querySelectorAll<HTMLLIElement>(".auth-session") ?? [])];
const names = (element: HTMLElement) => entries(element).map((entry) => entry.querySelector(".auth-device")!.textContent!.trim());
const button = (root: ParentNode, label: string) =>
  [...root.querySelectorAll<HTMLButtonElement>("button")].find((candidate) => candidate.textContent!.trim() === label);
const nameField = (element: HTMLElement) => section(element)!.querySelector<HTMLInputElement>('input[name="passkeyName"]')!;
const sectionStatus = (element: HTMLElement) => section(element)!.querySelector(':scope > [role="status"]')!.textContent!.trim();

/** Adds a passkey named `name` through the section's form, with the fake authenticator answering. */
function addPasskey(element: HTMLElement, name: string): void {
  nameField(element).value = name;
  section(element)!.querySelector("form")!.requestSubmit();
}

describe("<auth-account>'s passkeys", () => {
  let fake: FakeWebAuthn | undefined;
  let created = 0;
  /** The questions window.confirm() was asked, and what the user answers. */
  let asked: string[] = [];
  let answer = true;
  const confirm = window.confirm;

  beforeEach(async () => {
    await resetMock();
    await setServerConfig({ passkeys: true }); // this page's config (fetched once) offers passkeys
    await refreshSession();
    await login({ email: "user@example.com", password: "correct-horse" });
    asked = [];
    answer = true;
    window.confirm = (question?: string) => (asked.push(question!), answer);
    fake = fakeWebAuthn(async ({ kind }) => fakeCredential(`cred-${kind === "create" ? ++created : created}`, kind));
  });

  afterEach(() => {
    fake?.restore();
    window.confirm = confirm;
  });

  /** An <auth-account> showing its passkeys section once the list arrived (none yet). */
  async function renderAccount(): Promise<HTMLElement> {
    const element = await fixture<HTMLElement>(html`<auth-account sections="passkeys"></auth-account>`);
    await until(() => section(element)?.getAttribute("aria-busy") !== "true" && section(element), 3000, "the passkeys section");
    return element;
  }

  it("says there are none yet, and adds a named one on this device: auth-passkey-added, listed with its dates", async () => {
    const element = await renderAccount();
    expect(section(element)!.innerText).to.include("No passkeys yet.");
    expect(nameField(element).labels![0]!.textContent!.trim()).to.equal("Passkey name (optional)");
    const added = nextEvent<CustomEvent>(element, "auth-passkey-added");
    addPasskey(element, "Work laptop");
    const { detail } = await added;
    expect(detail.passkey).to.include({ name: "Work laptop", lastUsedAt: null });
    await until(() => names(element).length === 1, 2000, "the list");
    expect(names(element)).to.deep.equal(["Work laptop"]);
    expect(entries(element)[0]!.textContent).to.match(/Added: .*\d/);
    expect(entries(element)[0]!.textContent).to.include("Not used yet");
    expect(section(element)!.textContent).to.include("Passkey added: you can sign in with it.");
    expect(section(element)!.innerText).to.not.include("No passkeys yet.");
    expect((await mockPasskeys()).bodies[0]!.name).to.equal("Work laptop");
    expect(nameField(element).value).to.equal("");
    await expect(element).to.be.accessible();
  });

  it("a cancelled creation says nothing and adds nothing", async () => {
    fake!.restore();
    fake = fakeWebAuthn(async () => {
      throw domError("NotAllowedError");
    });
    const element = await renderAccount();
    const errors: Event[] = [];
    element.addEventListener("auth-error", (event) => errors.push(event));
    addPasskey(element, "Phone");
    await until(() => fake!.calls.length === 1, 2000, "the ceremony");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(errors).to.deep.equal([]);
    expect(section(element)!.querySelector('form [role="alert"]')!.textContent!.trim()).to.equal("");
    expect((await mockPasskeys()).passkeys).to.deep.equal([]);
  });

  it("announces what went wrong: a second passkey on this device, a passkey the server does not accept", async () => {
    fake!.restore();
    fake = fakeWebAuthn(async () => {
      throw domError("InvalidStateError");
    });
    const element = await renderAccount();
    const alert = () => section(element)!.querySelector('form [role="alert"]')!.textContent!.trim();
    const failed = nextEvent<CustomEvent>(element, "auth-error");
    addPasskey(element, "Again");
    expect((await failed).detail.code).to.equal("passkey_exists");
    expect(alert()).to.equal("This device already has a passkey for your account.");
    fake.restore();
    fake = fakeWebAuthn(async () => fakeCredential("bad", "create"));
    addPasskey(element, "Bad");
    await until(() => alert() === "The passkey could not be added. Try again.", 2000, "the server's refusal");
  });

  it("removes one only after a yes to the browser's question: auth-passkey-removed, the list follows", async () => {
    const element = await renderAccount();
    addPasskey(element, "Laptop");
    await until(() => names(element).length === 1, 2000, "one passkey");
    addPasskey(element, "Phone");
    await until(() => names(element).length === 2, 2000, "two passkeys");
    const phone = () => entries(element).find((entry) => entry.textContent!.includes("Phone"))!;
    // Each "Remove" says which passkey it removes.
    const remove = button(phone(), "Remove")!;
    expect(document.getElementById(remove.getAttribute("aria-describedby")!)!.textContent!.trim()).to.equal("Phone");
    await expect(element).to.be.accessible();

    answer = false;
    remove.click();
    expect(asked).to.deep.equal(["Remove the passkey “Phone”? It will no longer sign you in."]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(names(element)).to.have.length(2);
    expect((await mockPasskeys()).passkeys).to.have.length(2);

    answer = true;
    await delayAuth(200);
    const removed = nextEvent<CustomEvent>(element, "auth-passkey-removed");
    button(phone(), "Remove")!.click();
    await until(() => section(element)!.getAttribute("aria-busy") === "true", 1000, "the section busy");
    const { detail } = await removed;
    await until(() => names(element).length === 1, 2000, "the list to follow");
    expect(names(element)).to.deep.equal(["Laptop"]);
    expect((await mockPasskeys()).passkeys.map((passkey) => passkey.name)).to.deep.equal(["Laptop"]);
    expect(detail.id).to.be.a("string");
    expect(sectionStatus(element)).to.equal("The passkey is removed.");
    await until(() => document.activeElement === section(element)!.querySelector("h2"), 1000, "focus on the heading");
  });

  it("says so when a passkey had been removed elsewhere", async () => {
    const element = await renderAccount();
    addPasskey(element, "Laptop");
    await until(() => names(element).length === 1, 2000, "one passkey");
    const [passkey] = (await (await fetch("/auth/passkeys")).json()).passkeys as { id: string }[];
    await fetch(`/auth/passkeys/${passkey!.id}`, { method: "DELETE", headers: { "X-CSRF": "1" } });
    button(entries(element)[0]!, "Remove")!.click();
    await until(() => sectionStatus(element) === "That passkey was already removed.", 2000, "the note");
    await until(() => names(element).length === 0, 2000, "the list to follow");
  });

  it("shows when a passkey last signed in", async () => {
    await registerPasskey("Laptop");
    await logout();
    await loginWithPasskey();
    const element = await renderAccount();
    await until(() => names(element).length === 1, 2000, "the list");
    expect(entries(element)[0]!.textContent).to.match(/Last used: .*\d/);
  });

  it("speaks Dutch", async () => {
    const element = await renderAccount();
    element.lang = "nl";
    await until(() => button(element, "Passkey toevoegen"), 2000, "the Dutch button");
    expect(element.innerText).to.include("Je hebt nog geen passkeys.");
  });
});
