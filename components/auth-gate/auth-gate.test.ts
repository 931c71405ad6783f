import { expect, fixture, html } from "@open-wc/testing";
import { login, logout, refreshSession } from "../../dist/auth-elements.js";
import { landingOf, openFrame, resetMock, until } from "../../test/browser/helpers.js";

/** The light-DOM children the gate currently shows: the ones the browser renders. */
const shown = (gate: HTMLElement) => [...gate.children].filter((child) => child.checkVisibility()).map((child) => child.textContent);

function messageFrom(frame: HTMLIFrameElement, test: (data: any) => boolean, timeout = 3000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no such message from the frame")), timeout);
    window.addEventListener("message", function onMessage(event) {
      if (event.source !== frame.contentWindow || !test(event.data)) return;
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      resolve(event.data);
    });
  });
}

describe("<auth-gate>", () => {
  before(async () => {
    await resetMock();
  });

  it("shows `pending` during the first check, then `anonymous`, reflecting state", async () => {
    const gate = await fixture<HTMLElementTagNameMap["auth-gate"]>(html`
      <auth-gate
        ><p>members</p>
        <p slot="anonymous">guests</p>
        <p slot="pending">checking</p></auth-gate
      >
    `);
    await until(() => gate.shadowRoot!.querySelector("slot"), 1000, "the slot");
    // This file's first element starts the page's one session check.
    expect(gate.getAttribute("state")).to.equal("pending");
    expect(shown(gate)).to.deep.equal(["checking"]);
    await until(() => gate.getAttribute("state") === "anonymous", 3000, "state=anonymous");
    expect(gate.state).to.equal("anonymous");
    expect(shown(gate)).to.deep.equal(["guests"]);
    await expect(gate).to.be.accessible();
  });

  it("shows its default slot when signed in and follows logins and logouts", async () => {
    const gate = await fixture<HTMLElementTagNameMap["auth-gate"]>(html`
      <auth-gate
        ><p>members</p>
        <p slot="anonymous">guests</p></auth-gate
      >
    `);
    await until(() => gate.getAttribute("state") === "anonymous", 3000, "state=anonymous");
    await login({ email: "user@example.com", password: "correct-horse" });
    await until(() => gate.getAttribute("state") === "authenticated", 1000, "state=authenticated");
    expect(shown(gate)).to.deep.equal(["members"]);
    await expect(gate).to.be.accessible();
    await logout();
    await until(() => gate.getAttribute("state") === "anonymous", 1000, "state=anonymous");
    expect(shown(gate)).to.deep.equal(["guests"]);
  });

  it("shows content added after it rendered", async () => {
    const gate = await fixture<HTMLElement>(html`<auth-gate></auth-gate>`);
    await until(() => gate.getAttribute("state") === "anonymous", 3000, "state=anonymous");
    const later = document.createElement("p");
    later.slot = "anonymous";
    later.textContent = "added later";
    gate.append(later);
    await until(() => shown(gate).includes("added later"), 1000, "the late content");
  });

  it("redirects an anonymous visitor to a same-origin `redirect`", async () => {
    await resetMock();
    await refreshSession();
    const target = "/test/browser/landing.html?from=gate";
    const frame = document.createElement("iframe");
    const landed = landingOf(frame);
    frame.src = `/test/browser/tab.html?element=auth-gate&redirect=${encodeURIComponent(target)}`;
    document.body.append(frame);
    expect(await landed).to.equal(target);
    frame.remove();
  });

  it("ignores a `redirect` to another origin", async () => {
    const frame = await openFrame(`/test/browser/tab.html?element=auth-gate&redirect=${encodeURIComponent("https://example.org/")}`);
    await messageFrom(frame, (data) => data.session?.status === "anonymous");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(frame.contentWindow!.location.pathname).to.equal("/test/browser/tab.html");
    frame.remove();
  });
});
