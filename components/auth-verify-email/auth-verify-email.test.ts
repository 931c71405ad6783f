import { expect, fixture, html } from "@open-wc/testing";
import { refreshSession, session, signup } from "../../dist/auth-elements.js";
import {
  delayAuth,
  forgetLinkToken,
  lastToken,
  mailbox,
  nextEvent,
  openFrame,
  resetMock,
  seenRequests,
  until,
} from "../../test/browser/helpers.js";

const field = (element: ParentNode, name: string) => element.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
const region = (element: ParentNode, role: "alert" | "status") =>
  [...element.querySelectorAll(`[role="${role}"]`)]
    .map((node) => node.textContent!.trim())
    .filter(Boolean)
    .join(" ");

const CONFIRMED = "Your e-mail address is confirmed.";
const SPENT = "This link is no longer valid: it was used already or has expired. Ask for a new one.";
const SENT = "If this address needs one, a new link is on its way.";

/** A new account (not yet confirmed) and the token of the link mailed to it. */
async function unconfirmedAccount(email = "new@example.com"): Promise<string> {
  await signup({ email, password: "long-enough-password" });
  return lastToken(email, "verify");
}

/** Puts `token` in this page's own URL, as the mailed link would, and renders the element. */
async function openWithToken(token: string, markup = html`<auth-verify-email></auth-verify-email>`): Promise<HTMLElement> {
  history.replaceState(history.state, "", `${location.pathname}${location.search}&token=${encodeURIComponent(token)}`);
  return fixture<HTMLElement>(markup);
}

describe("<auth-verify-email>", () => {
  beforeEach(async () => {
    await resetMock();
    forgetLinkToken();
    await refreshSession();
  });

  it("confirms the link's token on load, takes it out of the address bar first, and says so", async () => {
    const token = await unconfirmedAccount();
    const frame = await openFrame(`/test/browser/tab.html?element=auth-verify-email&token=${token}`);
    const element = frame.contentDocument!.querySelector<HTMLElement>("auth-verify-email")!;
    await until(() => region(element, "status") === CONFIRMED, 3000, "the confirmation");
    expect(frame.contentWindow!.location.search).to.equal("?element=auth-verify-email");
    const ours = (await seenRequests()).filter((request) => /^\/(auth|dist)\//.test(request.path));
    expect(ours.filter((request) => `${request.path} ${request.referer}`.includes(token))).to.deep.equal([]);
    expect(ours.filter((request) => request.path === "/auth/email-verification")).to.have.length(1);
    frame.remove();
  });

  it("fires auth-email-verified, says it is confirming meanwhile, and is accessible", async () => {
    const token = await unconfirmedAccount();
    await refreshSession();
    const verified = new Promise<CustomEvent>((resolve) =>
      document.addEventListener("auth-email-verified", (event) => resolve(event as CustomEvent), { once: true }),
    );
    const element = await openWithToken(token);
    expect(location.search).to.not.include("token");
    await until(() => region(element, "status") === "Confirming your e-mail address…", 2000, "the pending state");
    const { detail, bubbles, composed } = await verified;
    expect(detail).to.deep.equal({});
    expect(bubbles && composed).to.equal(true);
    await until(() => region(element, "status") === CONFIRMED, 2000, "the confirmation");
    await expect(element).to.be.accessible();
  });

  it("shows the signed-in user's address as verified at once", async () => {
    const token = await unconfirmedAccount();
    expect(session.get().user).to.deep.include({ email: "new@example.com", emailVerified: false });
    await openWithToken(token);
    await until(() => session.get().user?.emailVerified === true, 3000, "user.emailVerified");
  });

  it("offers to mail a new link when the link is spent, and answers alike for every address", async () => {
    const token = await unconfirmedAccount();
    const refused = nextEvent<CustomEvent>(document, "auth-error");
    const element = await openWithToken(`${token}-spent`);
    expect((await refused).detail.code).to.equal("verification_token_invalid");
    await until(() => region(element, "alert") === SPENT, 2000, "why");
    const email = field(element, "email");
    expect(email.autocomplete).to.equal("username");
    expect(email.labels?.[0]?.textContent?.trim()).to.equal("E-mail");
    await expect(element).to.be.accessible();

    email.value = "new@example.com";
    element.querySelector("form")!.requestSubmit();
    await until(() => region(element, "status") === SENT, 2000, "the answer");
    await delayAuth(200);
    email.value = "nobody@example.com";
    element.querySelector("form")!.requestSubmit();
    await until(() => region(element, "status") === "", 1000, "the answer to clear while asking");
    await until(() => region(element, "status") === SENT, 2000, "the same answer");
    expect((await mailbox()).filter((mail) => mail.kind === "verify").map((mail) => mail.to)).to.deep.equal([
      "new@example.com",
      "new@example.com",
    ]);
  });

  it("without a token, asks for the address to mail a new link to", async () => {
    const element = await fixture<HTMLElement>(html`<auth-verify-email></auth-verify-email>`);
    await until(() => element.querySelector("form"), 3000, "the form");
    expect(region(element, "status")).to.equal("Enter your e-mail address to get a new confirmation link.");
    expect(element.querySelector('button[type="submit"]')!.textContent!.trim()).to.equal("Send the link again");
    expect((await seenRequests()).filter((request) => request.path === "/auth/email-verification")).to.deep.equal([]);
    await expect(element).to.be.accessible();
  });

  it("offers to try again when the server could not be reached, with the same token", async () => {
    const element = await openWithToken("some-token", html`<auth-verify-email endpoint="/down/auth"></auth-verify-email>`);
    await until(() => region(element, "alert") === "The service is unavailable. Try again later.", 3000, "the failure");
    const retry = element.querySelector<HTMLButtonElement>('button[type="button"]')!;
    expect(retry.textContent!.trim()).to.equal("Try again");
    await expect(element).to.be.accessible();
    const before = (await seenRequests()).filter((request) => request.path === "/down/auth/email-verification").length;
    retry.click();
    await until(
      async () => (await seenRequests()).filter((request) => request.path === "/down/auth/email-verification").length === before + 1,
      2000,
      "a second attempt",
    );
  });

  it("speaks Dutch under lang=nl", async () => {
    const element = await fixture<HTMLElement>(html`<auth-verify-email lang="nl"></auth-verify-email>`);
    await until(() => region(element, "status") === "Vul je e-mailadres in om een nieuwe bevestigingslink te krijgen.", 3000, "Dutch");
  });
});
