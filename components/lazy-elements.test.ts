import { expect } from "@open-wc/testing";
import type * as Public from "../dist/auth-elements.js";
import { openFrame, resetMock, seenRequests, until } from "../test/browser/helpers.js";

type Bundle = typeof Public;

/** The element files (dist/chunks/) a frame's document fetched, by path. */
const chunksOf = (frame: HTMLIFrameElement) =>
  frame
    .contentWindow!.performance.getEntriesByType("resource")
    .map((entry) => new URL(entry.name).pathname)
    .filter((path) => path.startsWith("/dist/chunks/"));

const importIn = (frame: HTMLIFrameElement, url: string): Promise<Bundle> =>
  (frame.contentWindow as unknown as { eval(code: string): Promise<Bundle> }).eval(`import(${JSON.stringify(url)})`);

describe("the newer elements' chunk", () => {
  beforeEach(async () => {
    await resetMock();
  });

  it("is not downloaded by a page that uses only the four original elements", async () => {
    const frame = await openFrame("/test/browser/csp.html");
    const page = frame.contentDocument!;
    await until(() => page.querySelector("auth-gate")!.getAttribute("state") === "anonymous", 3000, "the gate");
    await until(() => page.querySelector("auth-login form"), 2000, "the login form");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(chunksOf(frame)).to.deep.equal([]);
    for (const tag of ["auth-account", "auth-password-reset", "auth-verify-email"]) {
      expect(frame.contentWindow!.customElements.get(tag), tag).to.equal(undefined);
    }
    frame.remove();
  });

  it("loads once, when one of the newer tags first appears, and defines all three", async () => {
    const frame = await openFrame("/test/browser/tab.html");
    const page = frame.contentDocument!;
    expect(chunksOf(frame)).to.deep.equal([]);
    // Deep in markup added later, as a framework would render it.
    page.body.insertAdjacentHTML("beforeend", "<main><section><auth-verify-email></auth-verify-email></section></main>");
    await frame.contentWindow!.customElements.whenDefined("auth-verify-email");
    expect(frame.contentWindow!.customElements.get("auth-account")).to.be.a("function");
    expect(frame.contentWindow!.customElements.get("auth-password-reset")).to.be.a("function");
    page.body.append(page.createElement("auth-account"), page.createElement("auth-password-reset"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The elements, and the store's account actions they use.
    expect(chunksOf(frame).sort()).to.deep.equal(["/dist/chunks/account-actions.js", "/dist/chunks/account-elements.js"]);
    frame.remove();
  });

  it("upgrades elements created and configured before it arrived, keeping their properties", async () => {
    const frame = await openFrame("/test/browser/tab.html");
    const bundle = await importIn(frame, "/dist/auth-elements.js");
    await bundle.login({ email: "user@example.com", password: "correct-horse" });
    const page = frame.contentDocument!;
    const element = page.createElement("auth-account") as HTMLElementTagNameMap["auth-account"];
    element.sections = "password";
    page.body.append(element);
    await until(() => element.querySelector("form"), 3000, "the password form");
    expect(element.querySelector(".auth-sessions")).to.equal(null);
    await bundle.logout();
    frame.remove();
  });

  it("is asked for once with two copies of the bundle on the page, whose elements work", async () => {
    const frame = await openFrame("/test/browser/tab.html");
    await importIn(frame, "/dist/auth-elements.js?copy=2");
    const page = frame.contentDocument!;
    page.body.append(page.createElement("auth-password-reset"));
    await until(() => page.querySelector("auth-password-reset form"), 3000, "the form");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await seenRequests()).filter((request) => request.path.startsWith("/dist/chunks/account-elements.js"))).to.have.length.at.most(
      1,
    );
    expect(chunksOf(frame).filter((path) => path === "/dist/chunks/account-elements.js")).to.have.length(1);
    frame.remove();
  });
});
