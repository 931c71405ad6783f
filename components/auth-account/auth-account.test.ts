import { expect, fixture, html } from "@open-wc/testing";
import { login, logout, refreshSession, session } from "../../dist/auth-elements.js";
import { devices, nextEvent, otherDevice, resetMock, revokeSessions, until } from "../../test/browser/helpers.js";

const field = (element: ParentNode, name: string) => element.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
const describedBy = (input: HTMLInputElement) => document.getElementById(input.getAttribute("aria-describedby") ?? "")?.textContent;
const entries = (element: HTMLElement) => [...element.querySelectorAll<HTMLLIElement>(".auth-session")];
const deviceLabels = (element: HTMLElement) => entries(element).map((entry) => entry.querySelector(".auth-device")!.textContent!.trim());
const button = (element: ParentNode, label: string) =>
  [...element.querySelectorAll<HTMLButtonElement>("button")].find((candidate) => candidate.textContent!.trim() === label);
const status = (element: HTMLElement, section = ".auth-section") =>
  element.querySelector(`${section} [role="status"]`)!.textContent!.trim();

async function signedIn(): Promise<void> {
  await login({ email: "user@example.com", password: "correct-horse" });
}

/** An <auth-account> once its chunk defined it and it listed `count` sessions. */
async function renderAccount(count: number, markup = html`<auth-account></auth-account>`): Promise<HTMLElement> {
  const element = await fixture<HTMLElement>(markup);
  await until(() => entries(element).length === count, 3000, `${count} sessions listed`);
  return element;
}

describe("<auth-account>", () => {
  beforeEach(async () => {
    await resetMock();
    await refreshSession();
  });

  it("shows nothing while nobody is signed in, and the account once someone is", async () => {
    const element = await fixture<HTMLElement>(html`<auth-account></auth-account>`);
    await customElements.whenDefined("auth-account");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(element.children).to.have.length(0);
    await signedIn();
    await until(() => entries(element).length === 1, 3000, "the list");
    await logout();
    await until(() => element.children.length === 0, 1000, "nothing again");
  });

  it("lists the user's sessions with this device marked, in sections with headings", async () => {
    await signedIn();
    await otherDevice();
    const element = await renderAccount(2);
    expect(deviceLabels(element)).to.have.members(["Chrome on Linux (This device)", "Firefox on Windows"]);
    const headings = [...element.querySelectorAll("h2")].map((heading) => heading.textContent!.trim());
    expect(headings).to.deep.equal(["Where you are signed in", "Change password"]);
    expect(entries(element)[0]!.textContent).to.match(/Signed in: .*\d/);
    expect(entries(element)[0]!.textContent).to.match(/Last active: .*\d/);
    // Each "Sign out" says which session it ends.
    const signOut = entries(element)[1]!.querySelector("button")!;
    expect(document.getElementById(signOut.getAttribute("aria-describedby")!)!.textContent!.trim()).to.equal(deviceLabels(element)[1]);
    await expect(element).to.be.accessible();
  });

  it("signs another session out at once: auth-session-revoked, the list follows, focus stays in the section", async () => {
    await signedIn();
    const other = await otherDevice();
    const element = await renderAccount(2);
    const entry = entries(element).find((candidate) => candidate.textContent!.includes("Firefox on Windows"))!;
    const revoked = nextEvent<CustomEvent>(element, "auth-session-revoked");
    entry.querySelector("button")!.click();
    const { detail, bubbles, composed } = await revoked;
    expect(detail).to.deep.equal({ id: other, current: false, revoked: 1 });
    expect(bubbles && composed).to.equal(true);
    await until(() => entries(element).length === 1, 2000, "the list to follow");
    expect(await devices()).to.not.include(other);
    expect(status(element)).to.equal("That session is signed out.");
    await until(() => document.activeElement === element.querySelector("h2"), 1000, "focus on the section's heading");
    expect(session.get().status).to.equal("authenticated");
    await expect(element).to.be.accessible();
  });

  it("signs every other session out with one button, shown only when there are others", async () => {
    await signedIn();
    const element = await renderAccount(1);
    expect(button(element, "Sign out everywhere else")!.hidden).to.equal(true);
    await otherDevice();
    await otherDevice();
    await logout();
    await signedIn();
    await until(() => entries(element).length === 3, 3000, "three sessions");
    const everywhere = button(element, "Sign out everywhere else")!;
    expect(everywhere.hidden).to.equal(false);
    const revoked = nextEvent<CustomEvent>(element, "auth-session-revoked");
    everywhere.click();
    expect((await revoked).detail).to.deep.equal({ id: null, current: false, revoked: 2 });
    await until(() => entries(element).length === 1, 2000, "only this device");
    expect(await devices()).to.have.length(1);
    expect(status(element)).to.equal("Every other session is signed out.");
    expect(everywhere.hidden).to.equal(true);
  });

  it("ending this device's own session is a logout", async () => {
    await signedIn();
    const element = await renderAccount(1);
    const revoked = nextEvent<CustomEvent>(element, "auth-session-revoked");
    entries(element)[0]!.querySelector("button")!.click();
    expect((await revoked).detail).to.include({ current: true, revoked: 1 });
    await until(() => session.get().status === "anonymous", 1000, "the store to sign out");
    await until(() => element.children.length === 0, 1000, "the element to empty");
    expect(await devices()).to.deep.equal([]);
  });

  it("says so when a session had ended already", async () => {
    await signedIn();
    await otherDevice();
    const element = await renderAccount(2);
    const entry = entries(element).find((candidate) => candidate.textContent!.includes("Firefox on Windows"))!;
    await fetch("/__mock/revoke", { method: "POST" });
    await signedIn();
    entry.querySelector("button")!.click();
    await until(() => status(element) === "That session had already ended.", 2000, "the note");
  });

  it("changes the password with the current and a new one: auth-password-changed, other sessions end", async () => {
    await signedIn();
    await otherDevice();
    const element = await renderAccount(2);
    const current = field(element, "currentPassword");
    const fresh = field(element, "newPassword");
    expect(current.autocomplete).to.equal("current-password");
    expect(current.labels?.[0]?.textContent?.trim()).to.equal("Current password");
    expect(fresh.autocomplete).to.equal("new-password");
    expect(fresh.labels?.[0]?.textContent?.trim()).to.equal("New password");
    // The server's minimum (GET /auth/config, fetched once for the page).
    await until(() => fresh.getAttribute("minlength") === "8", 2000, "the server's minimum");

    const changed = nextEvent<CustomEvent>(element, "auth-password-changed");
    current.value = "correct-horse";
    fresh.value = "a-new-password";
    element.querySelector("form")!.requestSubmit();
    const { detail, bubbles, composed } = await changed;
    expect(detail).to.deep.equal({});
    expect(bubbles && composed).to.equal(true);
    await until(
      () => status(element, ".auth-form") === "Your password is changed, and your other sessions are signed out.",
      2000,
      "the note",
    );
    expect(current.value + fresh.value).to.equal("");
    await until(() => entries(element).length === 1, 2000, "the other session gone from the list");
    expect(await devices()).to.have.length(1);
    await expect(element).to.be.accessible();
  });

  it("shows a wrong current password at its field, and checks the new one before asking", async () => {
    await signedIn();
    const element = await renderAccount(1);
    const current = field(element, "currentPassword");
    const fresh = field(element, "newPassword");
    current.value = "correct-horse";
    fresh.value = "short";
    element.querySelector("form")!.requestSubmit();
    await until(() => fresh.getAttribute("aria-invalid") === "true", 1000, "the length check");
    expect(describedBy(fresh)).to.equal("Use at least 8 characters.");

    const refused = nextEvent<CustomEvent>(element, "auth-error");
    current.value = "wrong-horse";
    fresh.value = "a-new-password";
    element.querySelector("form")!.requestSubmit();
    expect((await refused).detail.code).to.equal("invalid_credentials");
    await until(() => current.getAttribute("aria-invalid") === "true", 1000, "aria-invalid on the current password");
    expect(describedBy(current)).to.equal("This is not your current password.");
    await until(() => document.activeElement === current, 1000, "focus on the current password");
    await expect(element).to.be.accessible();
  });

  it("shows the sections `sections` names; passkeys renders nothing yet", async () => {
    await signedIn();
    const passwordOnly = await fixture<HTMLElement>(html`<auth-account sections="password"></auth-account>`);
    await until(() => passwordOnly.querySelector("form"), 3000, "the password form");
    expect(passwordOnly.querySelector(".auth-sessions")).to.equal(null);
    const sessionsOnly = await renderAccount(1, html`<auth-account sections="sessions passkeys"></auth-account>`);
    expect(sessionsOnly.querySelector("form")).to.equal(null);
    expect(sessionsOnly.querySelectorAll("section")).to.have.length(1);
    const passkeysOnly = await fixture<HTMLElement>(html`<auth-account sections="passkeys"></auth-account>`);
    await until(() => passkeysOnly.querySelector(".auth-account"), 3000, "the account");
    expect(passkeysOnly.querySelectorAll("section")).to.have.length(0);
  });

  it("signs the page out when its session ended elsewhere (a 401)", async () => {
    await signedIn();
    const element = await renderAccount(1);
    await revokeSessions();
    const expired = nextEvent<CustomEvent>(document, "auth-session-expired");
    field(element, "currentPassword").value = "correct-horse";
    field(element, "newPassword").value = "a-new-password";
    element.querySelector("form")!.requestSubmit();
    expect((await expired).detail).to.deep.equal({ reason: "unauthenticated" });
    await until(() => element.children.length === 0, 1000, "the element to empty");
  });

  it("speaks Dutch under lang=nl", async () => {
    await signedIn();
    const element = await renderAccount(1, html`<auth-account lang="nl"></auth-account>`);
    await until(() => element.querySelector("h2")!.textContent!.trim() === "Waar je bent ingelogd", 3000, "Dutch");
    expect(deviceLabels(element)).to.deep.equal(["Chrome on Linux (Dit apparaat)"]);
  });
});
