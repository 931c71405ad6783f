import { expect, fixture, html } from "@open-wc/testing";
import * as bundle from "../dist/auth-elements.js";
import { apiFetch, configure, login, logout, refreshSession, session, signup } from "../dist/auth-elements.js";
import {
  callInFrame,
  expireSessionsIn,
  frameSession,
  openFrame,
  resetMock,
  revokeSessions,
  sessionGets,
  until,
} from "../test/browser/helpers.js";

const settled = () => until(() => session.get().status !== "pending", 3000, "the first session check");

describe("session store", () => {
  before(async () => {
    await resetMock();
  });

  // Must stay first: it counts the page's one initial check.
  it("makes exactly one GET /auth/session for any number of elements", async () => {
    expect(session.value?.status).to.equal("pending");
    expect(await sessionGets()).to.equal(0);
    await fixture(html`
      <div>
        <auth-gate><p>in</p></auth-gate>
        <auth-gate><p>in</p></auth-gate>
        <auth-logout>Out</auth-logout>
        <auth-logout>Out</auth-logout>
        <auth-login></auth-login>
        <auth-signup></auth-signup>
        <auth-gate><p>in</p></auth-gate>
      </div>
    `);
    await settled();
    const unsubscribe = session.subscribe(() => {});
    unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(session.get().status).to.equal("anonymous");
    expect(await sessionGets()).to.equal(1);
  });

  it("shares one request between concurrent refreshSession() calls", async () => {
    const before = await sessionGets();
    const results = await Promise.all([refreshSession(), refreshSession(), refreshSession()]);
    expect(results.map((state) => state.status)).to.deep.equal(["anonymous", "anonymous", "anonymous"]);
    expect(await sessionGets()).to.equal(before + 1);
  });

  it("exports the store and its actions", () => {
    const names = ["session", "config", "login", "signup", "logout", "refreshSession", "apiFetch", "configure", "messages"];
    names.push(
      "requestPasswordReset",
      "resetPassword",
      "verifyEmail",
      "resendVerification",
      "changePassword",
      "listSessions",
      "revokeSession",
      "loginWithPasskey",
      "registerPasskey",
      "listPasskeys",
      "removePasskey",
    );
    // Besides these, the entry exports internal bindings under one- or two-letter names: what the
    // newer elements' chunks import back from it (untyped, not part of the API).
    expect(
      Object.keys(bundle)
        .filter((name) => name.length > 2)
        .sort(),
    ).to.deep.equal(names.sort());
    for (const tag of ["auth-login", "auth-signup", "auth-logout", "auth-gate"]) {
      expect(customElements.get(tag), tag).to.be.a("function");
    }
  });

  it("shares one store with a second copy of the bundle, which loads without throwing", async () => {
    const before = await sessionGets();
    const secondUrl = "/dist/auth-elements.js?copy=2";
    const copy = (await import(secondUrl)) as typeof bundle;
    expect(copy).to.not.equal(bundle);
    expect(copy.session).to.equal(session);
    await copy.login({ email: "user@example.com", password: "correct-horse" });
    expect(session.get().status).to.equal("authenticated");
    await logout();
    expect(copy.session.get().status).to.equal("anonymous");
    expect(await sessionGets()).to.equal(before);
  });

  it("apiFetch sends the cookie and X-CSRF: 1", async () => {
    await login({ email: "user@example.com", password: "correct-horse" });
    const response = await apiFetch("/api/notes/list", { method: "POST" });
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.include({ ok: true, user: "user@example.com" });
    // Without the header the (mock) gateway refuses: the 200 above is apiFetch's doing.
    expect((await fetch("/api/notes/list", { credentials: "include" })).status).to.equal(403);
  });

  it("apiFetch turns a 401 into anonymous and fires auth-session-expired on document", async () => {
    await login({ email: "user@example.com", password: "correct-horse" });
    await revokeSessions();
    const expired = new Promise<CustomEvent>((resolve) =>
      document.addEventListener("auth-session-expired", (event) => resolve(event as CustomEvent), { once: true }),
    );
    const response = await apiFetch("/api/notes/list");
    expect(response.status).to.equal(401);
    expect(session.get()).to.deep.equal({ status: "anonymous", user: null, expiresAt: null });
    const event = await expired;
    expect(event.bubbles && event.composed).to.equal(true);
    expect(event.detail).to.deep.equal({ reason: "unauthenticated" });
  });

  it("re-checks when the page becomes visible again", async () => {
    const before = await sessionGets();
    document.dispatchEvent(new Event("visibilitychange"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await sessionGets()).to.equal(before + 1);
  });

  it("re-checks at expiresAt and reports a session that ended", async () => {
    await expireSessionsIn(1);
    await login({ email: "user@example.com", password: "correct-horse" });
    await revokeSessions();
    const expired = new Promise<CustomEvent>((resolve) =>
      document.addEventListener("auth-session-expired", (event) => resolve(event as CustomEvent), { once: true }),
    );
    expect((await expired).detail).to.deep.equal({ reason: "expired" });
    expect(session.get().status).to.equal("anonymous");
    await expireSessionsIn(0);
  });

  it("lets other tabs follow a login and a logout within a second", async () => {
    const other = await openFrame("/test/browser/tab.html");
    await until(() => frameSession(other)?.status === "anonymous", 3000, "the other tab's first check");
    await signup({ email: "tabs@example.com", password: "long-enough-password" });
    await until(() => frameSession(other)?.status === "authenticated", 1000, "the other tab to sign in");
    await logout();
    await until(() => frameSession(other)?.status === "anonymous", 1000, "the other tab to sign out");
    // And the other way round.
    await callInFrame(other, "login", { email: "user@example.com", password: "correct-horse" });
    await until(() => session.get().status === "authenticated", 1000, "this tab to sign in");
    await callInFrame(other, "logout");
    await until(() => session.get().status === "anonymous", 1000, "this tab to sign out");
    other.remove();
  });

  it('finds the endpoint: the call\'s, else configure(), else <meta name="auth-endpoint">, else /auth', async () => {
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => "ok",
        (error: { code: string }) => error.code,
      );
    const meta = Object.assign(document.createElement("meta"), { name: "auth-endpoint", content: "/down/auth/" });
    document.head.append(meta);
    try {
      expect(await failure(logout())).to.equal("auth_unavailable");
      configure({ endpoint: "/auth" });
      expect(await failure(logout())).to.equal("ok");
      expect(await failure(logout({ endpoint: "/down/auth" }))).to.equal("auth_unavailable");
    } finally {
      configure({ endpoint: "" });
      meta.remove();
    }
    expect(await failure(logout())).to.equal("ok");
  });

  describe('on a page rendered with <meta name="auth-session">', () => {
    const signedIn = (expiresAt: string) =>
      encodeURIComponent(JSON.stringify({ authenticated: true, user: { id: "meta", email: "meta@example.com" }, expiresAt }));
    const inADay = () => new Date(Date.now() + 86_400_000).toISOString();
    const gateOf = (frame: HTMLIFrameElement) => frame.contentDocument!.querySelector("auth-gate")!;

    beforeEach(async () => {
      // The server holds no session for this browser: every check answers anonymous.
      await revokeSessions();
    });

    it("starts from it without a GET /auth/session, then follows the server at the next check", async () => {
      const before = await sessionGets();
      const frame = await openFrame(`/test/browser/tab.html?element=auth-gate&session=${signedIn(inADay())}`);
      await until(() => gateOf(frame).getAttribute("state"), 3000, "the gate");
      expect(gateOf(frame).getAttribute("state")).to.equal("authenticated");
      expect(frameSession(frame)).to.include({ status: "authenticated" });
      const checks = () =>
        frame.contentWindow!.performance.getEntriesByType("resource").filter((entry) => entry.name.endsWith("/auth/session"));
      expect(checks()).to.have.length(0);

      // The tab is shown again: the store checks, finds no session, and the gate follows.
      frame.contentDocument!.dispatchEvent(new Event("visibilitychange"));
      await until(() => gateOf(frame).getAttribute("state") === "anonymous", 3000, "the corrected gate");
      expect(await sessionGets()).to.equal(before + 1);
      expect(checks()).to.have.length(1);
      frame.remove();
    });

    it("re-checks one whose expiresAt has passed, within seconds", async () => {
      const frame = await openFrame(
        `/test/browser/tab.html?element=auth-gate&session=${signedIn(new Date(Date.now() - 60_000).toISOString())}`,
      );
      await until(() => gateOf(frame).getAttribute("state") === "anonymous", 5000, "the expired session to be re-checked");
      frame.remove();
    });

    it("ignores one that is not JSON and checks as usual", async () => {
      const before = await sessionGets();
      const frame = await openFrame("/test/browser/tab.html?element=auth-gate&session=%7Bnot%20json");
      await until(() => gateOf(frame).getAttribute("state") === "anonymous", 3000, "the first check");
      expect(await sessionGets()).to.equal(before + 1);
      frame.remove();
    });
  });
});
