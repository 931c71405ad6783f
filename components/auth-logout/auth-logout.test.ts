import { expect, fixture, html } from "@open-wc/testing";
import { login, refreshSession, session } from "../../dist/auth-elements.js";
import {
  callInFrame,
  frameSession,
  landingOf,
  nextEvent,
  openFrame,
  rendered,
  resetMock,
  setLogoutUrl,
  until,
} from "../../test/browser/helpers.js";

const button = (element: HTMLElement) => element.shadowRoot!.querySelector("button")!;

describe("<auth-logout>", () => {
  beforeEach(async () => {
    await resetMock();
    await refreshSession();
  });

  it("is a button labelled by its content", async () => {
    const element = await rendered(await fixture<HTMLElement>(html`<auth-logout>Leave</auth-logout>`));
    expect(button(element).getAttribute("part")).to.equal("button");
    expect(element.textContent).to.equal("Leave");
    expect(button(element).querySelector("slot")!.assignedNodes()[0]!.textContent).to.equal("Leave");
    await expect(element).to.be.accessible();
  });

  it("takes a label added after it rendered, and falls back to a localized one", async () => {
    const element = await rendered(await fixture<HTMLElement>(html`<auth-logout lang="nl"></auth-logout>`));
    const slot = button(element).querySelector("slot")!;
    await until(() => slot.textContent === "Uitloggen", 2000, "the Dutch fallback");
    expect(slot.assignedNodes()).to.have.length(0);
    element.append("Bye");
    await until(() => slot.assignedNodes().length === 1, 1000, "the label to be assigned");
  });

  it("signs out: fires auth-logout and the store turns anonymous", async () => {
    await login({ email: "user@example.com", password: "correct-horse" });
    expect(session.get().status).to.equal("authenticated");
    const element = await rendered(await fixture<HTMLElement>(html`<auth-logout>Sign out</auth-logout>`));
    const event = nextEvent<CustomEvent>(element, "auth-logout");
    button(element).click();
    const { bubbles, composed, detail } = await event;
    expect(bubbles && composed).to.equal(true);
    expect(detail).to.deep.equal({});
    expect(session.get().status).to.equal("anonymous");
    expect(await refreshSession()).to.include({ status: "anonymous" });
  });

  it("fires auth-error when the session server is down", async () => {
    const element = await rendered(await fixture<HTMLElement>(html`<auth-logout endpoint="/down/auth">Sign out</auth-logout>`));
    const event = nextEvent<CustomEvent>(element, "auth-error");
    button(element).click();
    const { detail } = await event;
    expect(detail.code).to.be.a("string");
    expect(detail.message).to.be.a("string").and.not.equal("");
    await until(() => !button(element).disabled, 1000, "the button to be enabled again");
  });

  it("follows the server's logoutUrl (a provider's session) once signed out, instead of its own redirect", async () => {
    const providerLogout = "/test/browser/landing.html?from=provider-logout";
    await setLogoutUrl(providerLogout);
    const redirect = encodeURIComponent("/test/browser/landing.html?from=redirect");
    const frame = await openFrame(`/test/browser/tab.html?element=auth-logout&redirect=${redirect}`);
    await callInFrame(frame, "login", { email: "user@example.com", password: "correct-horse" });
    const element = await rendered(frame.contentDocument!.querySelector<HTMLElement>("auth-logout")!);
    const signedOut = nextEvent(element, "auth-logout");
    const landed = landingOf(frame);
    button(element).click();
    await signedOut;
    expect(await landed).to.equal(providerLogout);
    // Anonymous before it left (every element and tab follows), then off to the provider's sign-out.
    expect(frameSession(frame)?.status).to.equal("anonymous");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(frame.contentWindow!.location.search).to.equal("?from=provider-logout");
    expect(await refreshSession()).to.include({ status: "anonymous" });
    frame.remove();
  });
});
