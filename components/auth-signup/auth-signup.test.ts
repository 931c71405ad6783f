import { expect, fixture, html } from "@open-wc/testing";
import { refreshSession, session } from "../../dist/auth-elements.js";
import { mailbox, nextEvent, rendered, resetMock, setServerConfig, submitForm, until } from "../../test/browser/helpers.js";

async function renderSignup(markup = html`<auth-signup></auth-signup>`) {
  return rendered(await fixture<HTMLElementTagNameMap["auth-signup"]>(markup));
}

const field = (element: HTMLElement, name: string) => element.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
const describedBy = (input: HTMLInputElement) => document.getElementById(input.getAttribute("aria-describedby") ?? "")?.textContent;

describe("<auth-signup>", () => {
  beforeEach(async () => {
    await resetMock();
    await refreshSession();
  });

  it("asks for a new password in a labelled light-DOM form", async () => {
    const element = await renderSignup();
    expect(element.shadowRoot).to.equal(null);
    expect(field(element, "email").autocomplete).to.equal("username");
    expect(field(element, "password").autocomplete).to.equal("new-password");
    expect(field(element, "password").getAttribute("minlength")).to.equal("8");
    expect(element.querySelector('button[type="submit"]')!.textContent!.trim()).to.equal("Create account");
    await expect(element).to.be.accessible();
  });

  it("checks the minimum password length from min-password-length (default 8) before sending", async () => {
    const element = await renderSignup();
    submitForm(element, "new@example.com", "short");
    const password = field(element, "password");
    await until(() => password.getAttribute("aria-invalid") === "true", 1000, "aria-invalid");
    expect(describedBy(password)).to.equal("Use at least 8 characters.");
    await until(() => document.activeElement === password, 1000, "focus on the password");

    const longer = await renderSignup(html`<auth-signup min-password-length="12"></auth-signup>`);
    submitForm(longer, "new@example.com", "eleven-char");
    const longerPassword = field(longer, "password");
    await until(() => longerPassword.getAttribute("aria-invalid") === "true", 1000, "aria-invalid");
    expect(describedBy(longerPassword)).to.equal("Use at least 12 characters.");
  });

  it("shows the server's violations at their fields", async () => {
    const element = await renderSignup(html`<auth-signup min-password-length="4"></auth-signup>`);
    const event = nextEvent<CustomEvent>(element, "auth-error");
    // Passes the client's 4-character minimum but not the server's 8: the server's word counts.
    submitForm(element, "taken@example.com", "four");
    expect((await event).detail).to.deep.equal({ code: "validation_failed", message: "Check the marked fields." });
    const email = field(element, "email");
    const password = field(element, "password");
    await until(() => email.getAttribute("aria-invalid") === "true", 1000, "aria-invalid on the e-mail");
    expect(describedBy(email)).to.equal("An account with this e-mail address already exists.");
    expect(password.getAttribute("aria-invalid")).to.equal("true");
    expect(describedBy(password)).to.equal("Use at least 4 characters.");
    await until(() => document.activeElement === email, 1000, "focus on the e-mail");
    await expect(element).to.be.accessible();
  });

  it("signs up and in: fires auth-signup with the user and updates the store", async () => {
    const element = await renderSignup();
    const event = nextEvent<CustomEvent>(element, "auth-signup");
    submitForm(element, "fresh@example.com", "long-enough-password");
    const { detail, bubbles, composed } = await event;
    expect(detail.user.email).to.equal("fresh@example.com");
    expect(detail.user.id).to.be.a("string");
    expect(detail.verificationRequired).to.equal(false);
    expect(bubbles && composed).to.equal(true);
    expect(session.get()).to.include({ status: "authenticated" });
  });

  it("with verification required: says to check the inbox instead of signing in, and offers the link again", async () => {
    await setServerConfig({ emailVerification: "required" });
    const element = await renderSignup();
    const event = nextEvent<CustomEvent>(element, "auth-signup");
    submitForm(element, "inbox@example.com", "long-enough-password");
    const { detail } = await event;
    expect(detail).to.deep.equal({ user: null, verificationRequired: true });
    expect(session.get().status).to.equal("anonymous");
    const status = element.querySelector<HTMLElement>('[role="status"]')!;
    const inbox = "Check your inbox: confirm your e-mail address with the link we sent you, then sign in.";
    await until(() => status.textContent!.trim() === inbox, 1000, "check your inbox");
    // The fields and their button give way; the focus goes to what replaced them.
    expect(element.querySelector<HTMLElement>(".auth-field")!.checkVisibility()).to.equal(false);
    expect(element.querySelector<HTMLElement>('button[type="submit"]')!.checkVisibility()).to.equal(false);
    await until(() => document.activeElement === status, 1000, "focus on the message");
    await expect(element).to.be.accessible();
    const resend = element.querySelector<HTMLButtonElement>("button.auth-secondary")!;
    expect(resend.checkVisibility()).to.equal(true);
    resend.click();
    await until(() => status.textContent!.trim() === "If this address needs one, a new link is on its way.", 2000, "the answer");
    expect((await mailbox()).filter((mail) => mail.to === "inbox@example.com")).to.have.length(2);
  });

  it("speaks Dutch under lang=nl", async () => {
    const element = await renderSignup(html`<auth-signup lang="nl"></auth-signup>`);
    await until(() => element.querySelector('button[type="submit"]')!.textContent!.trim() === "Account aanmaken", 2000, "Dutch");
    expect(field(element, "password").labels?.[0]?.textContent?.trim()).to.equal("Wachtwoord");
    submitForm(element, "", "");
    const email = field(element, "email");
    await until(() => describedBy(email), 1000, "a description");
    expect(describedBy(email)).to.equal("Vul je e-mailadres in.");
  });
});
