import { expect, fixture, html } from "@open-wc/testing";
import { refreshSession, session, signup } from "../../dist/auth-elements.js";
import {
  configGets,
  delayAuth,
  landingOf,
  lastToken,
  mailbox,
  nextEvent,
  openFrame,
  rendered,
  resetMock,
  setServerConfig,
  submitForm,
  until,
} from "../../test/browser/helpers.js";

async function renderLogin(markup = html`<auth-login></auth-login>`) {
  return rendered(await fixture<HTMLElementTagNameMap["auth-login"]>(markup));
}

const field = (element: HTMLElement, name: string) => element.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
const alertText = (element: HTMLElement) => element.querySelector('[role="alert"]')!.textContent!.trim();
const submit = (element: HTMLElement) => element.querySelector<HTMLButtonElement>('button[type="submit"]')!;

describe("<auth-login>", () => {
  beforeEach(async () => {
    await resetMock();
    await refreshSession();
  });

  it("renders a real form in the light DOM with labelled, autocompletable inputs", async () => {
    const element = await renderLogin();
    expect(element.shadowRoot).to.equal(null);
    const form = element.querySelector("form")!;
    expect(form).to.exist;
    const email = field(element, "email");
    const password = field(element, "password");
    expect(email.type).to.equal("email");
    expect(email.autocomplete).to.equal("username");
    expect(password.type).to.equal("password");
    expect(password.autocomplete).to.equal("current-password");
    expect(email.labels?.[0]?.textContent?.trim()).to.equal("E-mail");
    expect(password.labels?.[0]?.textContent?.trim()).to.equal("Password");
    expect(submit(element).textContent!.trim()).to.equal("Sign in");
    expect(element.querySelector('[role="alert"]')).to.exist;
  });

  it("is accessible", async () => {
    const element = await renderLogin();
    await expect(element).to.be.accessible();
  });

  it("checks the fields before asking the server, marks them and focuses the first bad one", async () => {
    const element = await renderLogin();
    let requests = 0;
    element.addEventListener("auth-error", () => requests++);
    submitForm(element, "not-an-address", "");
    const email = field(element, "email");
    await until(() => email.getAttribute("aria-invalid") === "true", 1000, "aria-invalid");
    const description = document.getElementById(email.getAttribute("aria-describedby")!)!;
    expect(description.textContent).to.equal("Enter a valid e-mail address.");
    const password = field(element, "password");
    expect(password.getAttribute("aria-invalid")).to.equal("true");
    expect(document.getElementById(password.getAttribute("aria-describedby")!)!.textContent).to.equal("Enter your password.");
    await until(() => document.activeElement === email, 1000, "focus on the e-mail field");
    expect(requests).to.equal(0);
    await expect(element).to.be.accessible();

    submitForm(element, "user@example.com", "x");
    await until(() => !email.hasAttribute("aria-invalid"), 1000, "the e-mail field to be valid again");
    expect(email.hasAttribute("aria-describedby")).to.equal(false);
  });

  it("signs in: fires auth-login with the user and updates the session store", async () => {
    const element = await renderLogin();
    const event = nextEvent<CustomEvent>(element, "auth-login");
    submitForm(element, "user@example.com", "correct-horse");
    const { detail, bubbles, composed } = await event;
    expect(detail.user).to.deep.equal({ id: "u-1", email: "user@example.com", emailVerified: true });
    expect(bubbles && composed).to.equal(true);
    expect(session.get().status).to.equal("authenticated");
    expect(session.get().user?.email).to.equal("user@example.com");
    expect(field(element, "password").value).to.equal("");
  });

  it("marks the submit button busy and disabled while the request runs", async () => {
    const element = await renderLogin();
    await delayAuth(300);
    submitForm(element, "user@example.com", "correct-horse");
    const button = submit(element);
    await until(() => button.getAttribute("aria-busy") === "true", 1000, "aria-busy");
    expect(button.disabled).to.equal(true);
    await nextEvent(element, "auth-login");
    await until(() => !button.hasAttribute("aria-busy"), 1000, "aria-busy to clear");
    expect(button.disabled).to.equal(false);
  });

  it("shows one generic message for wrong credentials and fires auth-error", async () => {
    const element = await renderLogin();
    const event = nextEvent<CustomEvent>(element, "auth-error");
    submitForm(element, "user@example.com", "wrong-password");
    const { detail, bubbles, composed } = await event;
    expect(detail).to.deep.equal({ code: "invalid_credentials", message: "Wrong e-mail address or password." });
    expect(bubbles && composed).to.equal(true);
    await until(() => alertText(element), 1000, "the alert");
    expect(alertText(element)).to.equal("Wrong e-mail address or password.");
    expect(session.get().status).to.equal("anonymous");

    const unknown = nextEvent<CustomEvent>(element, "auth-error");
    submitForm(element, "nobody@example.com", "whatever-password");
    expect((await unknown).detail.code).to.equal("invalid_credentials");
    expect(alertText(element)).to.equal("Wrong e-mail address or password.");
  });

  it("counts down from retryAfter when rate limited and blocks the button meanwhile", async () => {
    const element = await renderLogin();
    const event = nextEvent<CustomEvent>(element, "auth-error");
    submitForm(element, "limited@example.com", "whatever-password");
    expect((await event).detail.code).to.equal("rate_limited");
    await until(() => alertText(element).includes("3 s"), 1000, "the countdown at 3");
    expect(submit(element).disabled).to.equal(true);
    await until(() => alertText(element).includes("2 s"), 2000, "the countdown at 2");
  });

  it("says the service is unavailable on 502 and 504", async () => {
    const element = await renderLogin();
    for (const [email, code] of [
      ["down@example.com", "auth_unavailable"],
      ["slow@example.com", "auth_timeout"],
    ]) {
      const event = nextEvent<CustomEvent>(element, "auth-error");
      submitForm(element, email!, "whatever-password");
      expect((await event).detail.code).to.equal(code);
      expect(alertText(element)).to.match(/service is unavailable/);
    }
  });

  it("follows lang: its own, the closest ancestor's, then the document's", async () => {
    const wrapper = await fixture<HTMLDivElement>(html`<div lang="nl"><auth-login></auth-login></div>`);
    const element = await rendered(wrapper.querySelector("auth-login")!);
    // Dutch loads on demand (dist/locales/nl.js): English until it is in.
    await until(() => submit(element).textContent!.trim() === "Inloggen", 2000, "Dutch label");
    element.setAttribute("lang", "en");
    await until(() => submit(element).textContent!.trim() === "Sign in", 1000, "English label");
    element.removeAttribute("lang");
    await until(() => submit(element).textContent!.trim() === "Inloggen", 1000, "Dutch label again");
    submitForm(element, "user@example.com", "wrong-password");
    await until(() => alertText(element) === "Onjuist e-mailadres of wachtwoord.", 2000, "Dutch alert");
  });

  it("opens a same-origin `redirect` after signing in, unless auth-login is cancelled", async () => {
    const target = "/test/browser/landing.html?from=login";
    const frame = await openFrame(`/test/browser/tab.html?element=auth-login&redirect=${encodeURIComponent(target)}`);
    const element = await rendered(frame.contentDocument!.querySelector("auth-login")!);
    const cancelled = nextEvent(element, "auth-login");
    element.addEventListener("auth-login", (event) => event.preventDefault(), { once: true });
    submitForm(element, "user@example.com", "correct-horse");
    await cancelled;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(frame.contentWindow!.location.pathname).to.equal("/test/browser/tab.html");

    const landed = landingOf(frame);
    submitForm(element, "user@example.com", "correct-horse");
    expect(await landed).to.equal(target);
    frame.remove();
  });

  it('links to `reset-url` as "Forgot your password?", fetching GET /auth/config once for every form', async () => {
    const frame = await openFrame("/test/browser/tab.html");
    const page = frame.contentDocument!;
    page.body.insertAdjacentHTML("beforeend", '<auth-login providers=""></auth-login>');
    const plain = await rendered(page.querySelector("auth-login")!);
    const link = (element: Element) => element.querySelector<HTMLAnchorElement>("a.auth-link")!;
    // Without reset-url and with no provider button to show: no link (GET /auth/config is still asked
    // for once: does the server offer passkeys?).
    expect(link(plain).hidden).to.equal(true);
    await until(async () => (await configGets()) === 1, 2000, "the config request");

    page.body.insertAdjacentHTML(
      "beforeend",
      '<auth-login reset-url="/reset-password"></auth-login><auth-login reset-url="/r"></auth-login><auth-login></auth-login>',
    );
    const [, withLink, another, withoutLink] = [...page.querySelectorAll("auth-login")];
    await rendered(withLink!);
    await rendered(another!);
    await rendered(withoutLink!);
    expect(link(withoutLink!).hidden).to.equal(true);
    expect(link(withLink!).hidden).to.equal(false);
    expect(link(withLink!).textContent!.trim()).to.equal("Forgot your password?");
    expect(link(withLink!).getAttribute("href")).to.equal("/reset-password");
    await until(async () => (await configGets()) === 1, 2000, "the config request");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await configGets()).to.equal(1);
    frame.remove();
  });

  it("hides the reset link when the server offers no password reset", async () => {
    await setServerConfig({ passwordReset: false });
    const frame = await openFrame("/test/browser/tab.html?element=auth-gate");
    frame.contentDocument!.body.insertAdjacentHTML("beforeend", '<auth-login reset-url="/reset-password"></auth-login>');
    const element = await rendered(frame.contentDocument!.querySelector("auth-login")!);
    await until(async () => (await configGets()) === 1, 2000, "the config request");
    await until(() => element.querySelector<HTMLAnchorElement>("a.auth-link")!.hidden, 1000, "the link to go");
    frame.remove();
  });

  it("offers to send the link again to an account that has not confirmed its address", async () => {
    await setServerConfig({ emailVerification: "required" });
    await signup({ email: "waiting@example.com", password: "long-enough-password" });
    expect(session.get().status).to.equal("anonymous");
    const element = await renderLogin();
    const resend = element.querySelector<HTMLButtonElement>("button.auth-secondary")!;
    expect(resend.hidden).to.equal(true);
    const refused = nextEvent<CustomEvent>(element, "auth-error");
    submitForm(element, "waiting@example.com", "long-enough-password");
    expect((await refused).detail).to.deep.equal({
      code: "email_not_verified",
      message: "Confirm your e-mail address first, with the link we sent you.",
    });
    await until(() => alertText(element) === "Confirm your e-mail address first, with the link we sent you.", 1000, "the message");
    expect(resend.hidden).to.equal(false);
    expect(resend.textContent!.trim()).to.equal("Send the link again");
    await expect(element).to.be.accessible();
    const first = await lastToken("waiting@example.com", "verify");
    resend.click();
    const status = element.querySelector('[role="status"]')!;
    await until(() => status.textContent!.trim() === "If this address needs one, a new link is on its way.", 2000, "the answer");
    expect(await lastToken("waiting@example.com", "verify")).to.not.equal(first);
    expect((await mailbox()).filter((mail) => mail.to === "waiting@example.com")).to.have.length(2);
    // A wrong password is still the ordinary refusal, and no such offer.
    submitForm(element, "waiting@example.com", "wrong-password");
    await until(() => alertText(element) === "Wrong e-mail address or password.", 1000, "the ordinary refusal");
    expect(resend.hidden).to.equal(true);
  });

  it("ignores a `redirect` to another origin", async () => {
    const frame = await openFrame(`/test/browser/tab.html?element=auth-login&redirect=${encodeURIComponent("//example.org/")}`);
    const element = await rendered(frame.contentDocument!.querySelector("auth-login")!);
    const signedIn = nextEvent(element, "auth-login");
    submitForm(element, "user@example.com", "correct-horse");
    await signedIn;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(frame.contentWindow!.location.pathname).to.equal("/test/browser/tab.html");
    frame.remove();
  });

  describe("with OpenID Connect providers", () => {
    const PROVIDERS = [
      { id: "test", name: "Test IdP" },
      { id: "corp", name: "Corporate SSO" },
    ];
    const labels = (element: Element) => [...element.querySelectorAll("button.auth-provider")].map((button) => button.textContent!.trim());

    beforeEach(() => setServerConfig({ providers: PROVIDERS }));

    it('offers "Continue with <name>" for each provider GET /auth/config lists, or those `providers` names', async () => {
      const frame = await openFrame("/test/browser/tab.html");
      const page = frame.contentDocument!;
      page.body.insertAdjacentHTML(
        "beforeend",
        '<auth-login></auth-login><auth-login providers="corp"></auth-login><auth-login providers=""></auth-login><auth-login providers="other"></auth-login>',
      );
      const [all, corp, none, other] = await Promise.all([...page.querySelectorAll<HTMLElement>("auth-login")].map(rendered));
      await until(() => labels(all!).length === 2 && labels(corp!).length === 1, 3000, "the provider buttons");
      expect(labels(all!)).to.deep.equal(["Continue with Test IdP", "Continue with Corporate SSO"]);
      expect(labels(corp!)).to.deep.equal(["Continue with Corporate SSO"]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(labels(none!)).to.deep.equal([]);
      expect(labels(other!)).to.deep.equal([]);
      expect(await configGets()).to.equal(1);

      all!.setAttribute("providers", "test  corp-unknown");
      await until(() => labels(all!).length === 1, 1000, "the filter to follow the attribute");
      expect(labels(all!)).to.deep.equal(["Continue with Test IdP"]);
      corp!.setAttribute("lang", "nl");
      await until(() => labels(corp!)[0] === "Doorgaan met Corporate SSO", 2000, "the Dutch label");
      frame.remove();
    });

    it("sends the whole page to <endpoint>/oidc/<id>/start with this page as returnTo", async () => {
      const frame = await openFrame("/test/browser/tab.html?from=here#section");
      const page = frame.contentDocument!;
      page.body.insertAdjacentHTML("beforeend", "<auth-login></auth-login>");
      const element = await rendered(page.querySelector("auth-login")!);
      const button = await until(() => element.querySelector<HTMLButtonElement>("button.auth-provider"), 3000, "the button");
      expect(button.type).to.equal("button");
      const landed = landingOf(frame);
      button.click();
      const query = new URLSearchParams({ start: "/auth/oidc/test/start", returnTo: "/test/browser/tab.html?from=here#section" });
      expect(await landed).to.equal(`/test/browser/landing.html?${query}`);
      frame.remove();

      // An element with its own `endpoint` starts there.
      const other = await openFrame("/test/browser/tab.html");
      other.contentDocument!.body.insertAdjacentHTML(
        "beforeend",
        '<auth-login></auth-login><auth-login endpoint="/elsewhere/auth/"></auth-login>',
      );
      const elsewhere = await rendered(other.contentDocument!.querySelectorAll("auth-login")[1]!);
      const startButton = await until(() => elsewhere.querySelector<HTMLButtonElement>("button.auth-provider"), 3000, "its button");
      const landedToo = landingOf(other);
      startButton.click();
      expect(new URLSearchParams((await landedToo).split("?")[1]).get("start")).to.equal("/elsewhere/auth/oidc/test/start");
      other.remove();
    });

    it("says why a sign-in with a provider failed (#auth_error=<code>) and takes it out of the address bar at once", async () => {
      const frame = await openFrame("/test/browser/tab.html?element=auth-login#auth_error=oidc_denied");
      const element = await rendered(frame.contentDocument!.querySelector("auth-login")!);
      await until(() => alertText(element) === "Sign-in cancelled.", 1000, "the message");
      expect(frame.contentWindow!.location.href).to.equal(`${location.origin}/test/browser/tab.html?element=auth-login`);
      frame.remove();

      const dutch = await openFrame("/test/browser/tab.html?element=auth-login&lang=nl#auth_error=oidc_failed");
      const inDutch = await rendered(dutch.contentDocument!.querySelector("auth-login")!);
      await until(() => alertText(inDutch) === "Inloggen mislukt. Probeer het opnieuw.", 2000, "the Dutch message");
      expect(dutch.contentWindow!.location.hash).to.equal("");
      dutch.remove();
    });
  });
});
