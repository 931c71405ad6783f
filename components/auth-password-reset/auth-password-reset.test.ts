import { expect, fixture, html } from "@open-wc/testing";
import { refreshSession, requestPasswordReset } from "../../dist/auth-elements.js";
import {
  delayAuth,
  forgetLinkToken,
  devices,
  frameSession,
  landingOf,
  lastToken,
  mailbox,
  nextEvent,
  openFrame,
  otherDevice,
  resetMock,
  seenRequests,
  setServerConfig,
  until,
} from "../../test/browser/helpers.js";

/** An element of the newer ones, once its chunk defined it and it rendered a form. */
async function formOf<T extends HTMLElement>(element: T): Promise<T> {
  await until(() => element.querySelector("form"), 3000, `<${element.localName}> to render its form`);
  return element;
}

const field = (element: ParentNode, name: string) => element.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
const submitButton = (element: ParentNode) => element.querySelector<HTMLButtonElement>('button[type="submit"]')!;
const regionText = (element: ParentNode, role: "alert" | "status") =>
  [...element.querySelectorAll(`[role="${role}"]`)]
    .map((region) => region.textContent!.trim())
    .filter(Boolean)
    .join(" ");
const describedBy = (input: HTMLInputElement) =>
  input.ownerDocument.getElementById(input.getAttribute("aria-describedby") ?? "")?.textContent;

function fillAndSubmit(element: HTMLElement, values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) field(element, name).value = value;
  element.querySelector("form")!.requestSubmit();
}

/** Opens the reset page as the mailed link would: `query` and `hash` carry the token. */
async function openLink(query: string, hash = ""): Promise<{ frame: HTMLIFrameElement; element: HTMLElement }> {
  const frame = await openFrame(`/test/browser/tab.html?element=auth-password-reset&${query}${hash}`, { visible: true });
  const element = await formOf(frame.contentDocument!.querySelector<HTMLElement>("auth-password-reset")!);
  return { frame, element };
}

describe("<auth-password-reset>", () => {
  beforeEach(async () => {
    await resetMock();
    forgetLinkToken();
    await refreshSession();
  });

  it("without a token: asks for the e-mail address in a labelled light-DOM form", async () => {
    const element = await formOf(await fixture<HTMLElement>(html`<auth-password-reset></auth-password-reset>`));
    expect(element.shadowRoot).to.equal(null);
    const email = field(element, "email");
    expect(email.type).to.equal("email");
    expect(email.autocomplete).to.equal("username");
    expect(email.labels?.[0]?.textContent?.trim()).to.equal("E-mail");
    expect(submitButton(element).textContent!.trim()).to.equal("Send me a link");
    expect(element.querySelector("input[name=newPassword]")).to.equal(null);
    await expect(element).to.be.accessible();
  });

  it("answers alike for an existing and an unknown address, and mails only the existing one", async () => {
    const element = await formOf(await fixture<HTMLElement>(html`<auth-password-reset></auth-password-reset>`));
    const sent = "If an account exists for this address, a link to set a new password is on its way.";
    fillAndSubmit(element, { email: "user@example.com" });
    await until(() => regionText(element, "status") === sent, 2000, "the answer");
    await delayAuth(200);
    fillAndSubmit(element, { email: "nobody@example.com" });
    await until(() => regionText(element, "status") === "", 1000, "the answer to clear while asking");
    await until(() => regionText(element, "status") === sent, 2000, "the same answer");
    expect((await mailbox()).map((mail) => mail.to)).to.deep.equal(["user@example.com"]);
    await expect(element).to.be.accessible();
  });

  it("checks the address before asking, marks the field and focuses it", async () => {
    const element = await formOf(await fixture<HTMLElement>(html`<auth-password-reset></auth-password-reset>`));
    const before = (await seenRequests()).length;
    fillAndSubmit(element, { email: "not-an-address" });
    const email = field(element, "email");
    await until(() => email.getAttribute("aria-invalid") === "true", 1000, "aria-invalid");
    expect(describedBy(email)).to.equal("Enter a valid e-mail address.");
    await until(() => document.activeElement === email, 1000, "focus on the field");
    expect((await seenRequests()).slice(before).filter((request) => request.path.startsWith("/auth/"))).to.deep.equal([]);
    await expect(element).to.be.accessible();
  });

  it("is busy while it asks, and counts down when rate limited", async () => {
    const element = await formOf(await fixture<HTMLElement>(html`<auth-password-reset></auth-password-reset>`));
    await delayAuth(300);
    fillAndSubmit(element, { email: "user@example.com" });
    const button = submitButton(element);
    await until(() => button.getAttribute("aria-busy") === "true", 1000, "aria-busy");
    expect(button.disabled).to.equal(true);
    await until(() => !button.hasAttribute("aria-busy") && !button.disabled, 2000, "the busy state to end");
    await delayAuth(0);

    const refused = nextEvent<CustomEvent>(element, "auth-error");
    fillAndSubmit(element, { email: "limited@example.com" });
    expect((await refused).detail.code).to.equal("rate_limited");
    await until(() => regionText(element, "alert").includes("3 s"), 1000, "the countdown");
    expect(button.disabled).to.equal(true);
  });

  it("opened from a link: takes the token out of the address bar before any request, and asks for a new password", async () => {
    await setServerConfig({ minPasswordLength: 12 });
    const { frame, element } = await openLink("token=secret-token&keep=1");
    const url = new URL(frame.contentWindow!.location.href);
    expect(url.searchParams.has("token")).to.equal(false);
    expect(url.searchParams.get("keep")).to.equal("1");
    // Not one request of the bundle (the chunk, the session check, the config) carried it, in its
    // URL or its Referer; only the page and its own script did, before any of our code ran.
    await until(async () => (await seenRequests()).some((request) => request.path === "/auth/config"), 2000, "the config request");
    const ours = (await seenRequests()).filter((request) => /^\/(auth|dist)\//.test(request.path));
    expect(ours.filter((request) => `${request.path} ${request.referer}`.includes("secret-token"))).to.deep.equal([]);

    const password = field(element, "newPassword");
    expect(password.type).to.equal("password");
    expect(password.autocomplete).to.equal("new-password");
    expect(password.labels?.[0]?.textContent?.trim()).to.equal("New password");
    // The server's minimum, from GET /auth/config.
    await until(() => password.getAttribute("minlength") === "12", 2000, "minlength from the config");
    fillAndSubmit(element, { newPassword: "eleven-char" });
    await until(() => describedBy(password) === "Use at least 12 characters.", 1000, "the length check");
    frame.remove();
  });

  it("takes a #token= out too, leaving the rest of the hash", async () => {
    const { frame } = await openLink("x=1", "#token=secret-token&section=2");
    expect(frame.contentWindow!.location.hash).to.equal("#section=2");
    expect(frame.contentWindow!.location.search).to.equal("?element=auth-password-reset&x=1");
    frame.remove();
  });

  it("sets the new password and signs in; auth-password-reset has the user; every other session ends", async () => {
    await requestPasswordReset("user@example.com");
    const token = await lastToken("user@example.com", "reset");
    await otherDevice();
    const { frame, element } = await openLink(`token=${token}`);
    const reset = nextEvent<CustomEvent>(element, "auth-password-reset");
    fillAndSubmit(element, { newPassword: "a-brand-new-password" });
    const { detail, bubbles, composed } = await reset;
    expect(detail.user).to.deep.include({ id: "u-1", email: "user@example.com" });
    expect(bubbles && composed).to.equal(true);
    await until(() => frameSession(frame)?.status === "authenticated", 1000, "the frame's store to sign in");
    await until(() => regionText(element, "status") === "Your new password is set and you are signed in.", 1000, "the answer");
    await until(() => element.ownerDocument.activeElement === element.querySelector(".auth-done"), 1000, "focus on the answer");
    expect(await devices()).to.have.length(1);
    frame.remove();
  });

  it("opens a same-origin `redirect` once the password is set", async () => {
    await requestPasswordReset("user@example.com");
    const token = await lastToken("user@example.com", "reset");
    const target = "/test/browser/landing.html?from=reset";
    const { frame, element } = await openLink(`token=${token}&redirect=${encodeURIComponent(target)}`);
    const landed = landingOf(frame);
    fillAndSubmit(element, { newPassword: "a-brand-new-password" });
    expect(await landed).to.equal(target);
    frame.remove();
  });

  it("says a spent or unknown link is no longer valid and brings the e-mail form back, focused", async () => {
    const { frame, element } = await openLink("token=unknown-token");
    const refused = nextEvent<CustomEvent>(element, "auth-error");
    fillAndSubmit(element, { newPassword: "a-brand-new-password" });
    expect((await refused).detail.code).to.equal("reset_token_invalid");
    const alert = "This link is no longer valid: it was used already or has expired. Ask for a new one.";
    await until(() => regionText(element, "alert") === alert, 1000, "the announcement");
    await until(() => element.ownerDocument.activeElement === field(element, "email"), 1000, "focus on the e-mail field");
    expect(field(element, "newPassword")).to.equal(null);
    expect(frameSession(frame)?.status).to.equal("anonymous");
    frame.remove();
  });

  it("is accessible in each step", async () => {
    // The token in this page's own URL, as a link would bring it (the element takes it out).
    history.replaceState(history.state, "", `${location.pathname}${location.search}&token=unknown-token`);
    const element = await formOf(await fixture<HTMLElement>(html`<auth-password-reset></auth-password-reset>`));
    expect(location.search).to.not.include("token");
    expect(field(element, "newPassword")).to.exist;
    await expect(element).to.be.accessible();
    fillAndSubmit(element, { newPassword: "a-brand-new-password" });
    await until(() => field(element, "email"), 2000, "the e-mail form");
    await expect(element).to.be.accessible();
  });

  it("speaks Dutch under lang=nl", async () => {
    const element = await formOf(await fixture<HTMLElement>(html`<auth-password-reset lang="nl"></auth-password-reset>`));
    await until(() => submitButton(element).textContent!.trim() === "Stuur me een link", 2000, "Dutch");
    expect(field(element, "email").labels?.[0]?.textContent?.trim()).to.equal("E-mailadres");
  });
});
