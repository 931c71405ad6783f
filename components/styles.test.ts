import { emulateMedia } from "@web/test-runner-commands";
import { expect, fixture, html } from "@open-wc/testing";
import "../dist/auth-elements.js";
import { callInFrame, openFrame, rendered, resetMock, submitForm, until } from "../test/browser/helpers.js";

/** Every <style> element and style="" attribute in `root` and the shadow roots below it. */
function inlineStyles(root: Document | ShadowRoot): Element[] {
  const found = [...root.querySelectorAll("style, [style]")];
  for (const element of root.querySelectorAll("*")) {
    if (element.shadowRoot) found.push(...inlineStyles(element.shadowRoot));
  }
  return found;
}

describe("styles", () => {
  before(async () => {
    await resetMock();
  });

  it("say only logical directions (inline, block), so that a right-to-left language mirrors the layout", async () => {
    for (const sheet of ["/components/styles.css", "/components/account-styles.css"]) {
      const rules = (await (await fetch(sheet)).text()).replace(/\/\*[\s\S]*?\*\//g, "");
      expect(rules, sheet).to.contain("direction: rtl");
      expect(rules.match(/[\w-]*\b(?:left|right)\b[\w-]*/g) ?? [], sheet).to.deep.equal([]);
    }
  });

  it("work under the strict CSP: no violation, no <style> or style attribute", async () => {
    const frame = await openFrame("/test/browser/csp.html");
    const page = frame.contentDocument!;
    const signup = await rendered(page.querySelector("auth-signup")!);
    const login = await rendered(page.querySelector("auth-login")!);
    await rendered(page.querySelector("auth-logout")!);
    await until(() => page.querySelector("auth-gate")!.getAttribute("state") === "anonymous", 3000, "the gate");

    // Exercise every state that renders something: field errors, alerts, busy, signed in, out.
    submitForm(signup, "bad", "x");
    await until(() => signup.querySelector('[aria-invalid="true"]'), 1000, "field errors");
    submitForm(login, "user@example.com", "wrong-password");
    await until(() => login.querySelector('[role="alert"]')!.textContent, 2000, "the alert");
    submitForm(signup, "csp@example.com", "long-enough-password");
    await until(() => page.querySelector("auth-gate")!.getAttribute("state") === "authenticated", 2000, "sign-up");
    page.querySelector("auth-logout")!.shadowRoot!.querySelector("button")!.click();
    await until(() => page.querySelector("auth-gate")!.getAttribute("state") === "anonymous", 2000, "logout");

    expect(await callInFrame(frame, "violations")).to.deep.equal([]);
    expect(inlineStyles(page).map((element) => element.outerHTML)).to.deep.equal([]);
    const reports = await (await fetch("/__mock/csp-reports")).json();
    expect(reports).to.deep.equal([]);

    // The page really is under the policy: an inline style is refused there.
    const probe = page.createElement("style");
    probe.textContent = "body { color: red }";
    page.head.append(probe);
    await until(async () => ((await callInFrame(frame, "violations")) as unknown[]).length > 0, 2000, "a violation");
    frame.remove();
  });

  it("work under the strict CSP for the newer elements too, whose chunk adds its own constructable sheet", async () => {
    const frame = await openFrame("/test/browser/csp-account.html");
    const page = frame.contentDocument!;
    await callInFrame(frame, "login", { email: "user@example.com", password: "correct-horse" });
    await until(() => page.querySelector("auth-account .auth-session"), 3000, "the account");
    await until(() => page.querySelector("auth-password-reset form") && page.querySelector("auth-verify-email form"), 3000, "the forms");
    // Exercise what renders: a field error, a list, a status.
    const reset = page.querySelector("auth-password-reset")!;
    reset.querySelector("form")!.requestSubmit();
    await until(() => reset.querySelector('[aria-invalid="true"]'), 1000, "a field error");
    expect(page.adoptedStyleSheets).to.have.length(2);
    expect(await callInFrame(frame, "violations")).to.deep.equal([]);
    expect(inlineStyles(page).map((element) => element.outerHTML)).to.deep.equal([]);
    const reports = (await (await fetch("/__mock/csp-reports")).json()) as string[];
    expect(reports.filter((report) => report.includes("csp-account.html"))).to.deep.equal([]);
    // The sheets are in effect: the palette and the list's layout.
    const account = page.querySelector<HTMLElement>("auth-account")!;
    expect(getComputedStyle(account).display).to.equal("block");
    expect(getComputedStyle(account.querySelector(".auth-sessions")!).listStyleType).to.equal("none");
    await callInFrame(frame, "logout");
    frame.remove();
  });

  it("come from one constructable stylesheet adopted by the document and the shadow roots", async () => {
    const wrapper = await fixture<HTMLElement>(
      html`<div><auth-login></auth-login><auth-gate></auth-gate><auth-logout>Out</auth-logout></div>`,
    );
    await rendered(wrapper.querySelector("auth-login")!);
    const logout = await rendered(wrapper.querySelector("auth-logout")!);
    const gate = wrapper.querySelector("auth-gate")!;
    await until(() => gate.shadowRoot!.querySelector("slot"), 1000, "the gate");
    const [sheet] = logout.shadowRoot!.adoptedStyleSheets;
    expect(sheet).to.exist;
    expect(document.adoptedStyleSheets).to.include(sheet);
    expect(gate.shadowRoot!.adoptedStyleSheets).to.include(sheet);
  });

  it("keep the empty alert region rendered for screen readers, but hide empty field errors", async () => {
    const element = await rendered(await fixture<HTMLElement>(html`<auth-login></auth-login>`));
    const alert = element.querySelector('[role="alert"]')!;
    const error = element.querySelector(".auth-error")!;
    expect(alert.textContent).to.equal("");
    expect(getComputedStyle(alert).display).to.not.equal("none");
    expect(getComputedStyle(error).display).to.equal("none");
    submitForm(element, "", "");
    await until(() => error.textContent, 1000, "a field error");
    expect(getComputedStyle(error).display).to.not.equal("none");
  });

  it("take --auth-* custom properties and follow prefers-color-scheme", async () => {
    const element = await rendered(await fixture<HTMLElement>(html`<auth-login></auth-login>`));
    const button = element.querySelector("button")!;
    await emulateMedia({ colorScheme: "light" });
    const light = getComputedStyle(button).backgroundColor;
    await emulateMedia({ colorScheme: "dark" });
    const dark = getComputedStyle(button).backgroundColor;
    expect(dark).to.not.equal(light);
    element.style.setProperty("--auth-accent", "rgb(1, 2, 3)");
    expect(getComputedStyle(button).backgroundColor).to.equal("rgb(1, 2, 3)");
    await emulateMedia({ colorScheme: "light" });
    expect(getComputedStyle(button).backgroundColor).to.equal("rgb(1, 2, 3)");
  });
});
