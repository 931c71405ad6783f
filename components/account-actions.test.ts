import { expect } from "@open-wc/testing";
import type * as Public from "../dist/auth-elements.js";
import {
  changePassword,
  config,
  listSessions,
  login,
  refreshSession,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  revokeSession,
  session,
  signup,
  verifyEmail,
} from "../dist/auth-elements.js";
import {
  callInFrame,
  configGets,
  devices,
  lastToken,
  mailbox,
  openFrame,
  otherDevice,
  resetMock,
  revokeSessions,
  setServerConfig,
  until,
} from "../test/browser/helpers.js";

type Bundle = typeof Public;

/** Imports `url` in `frame`'s own window (its own module map). */
const importIn = (frame: HTMLIFrameElement, url: string): Promise<Bundle> =>
  (frame.contentWindow as unknown as { eval(code: string): Promise<Bundle> }).eval(`import(${JSON.stringify(url)})`);

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: { code: string }) => error.code,
  );

describe("the store's account lifecycle actions", () => {
  beforeEach(async () => {
    await resetMock();
    await refreshSession();
  });

  it("config: GET /auth/config once per page, when code first listens, shared by bundle copies", async () => {
    await setServerConfig({ minPasswordLength: 12, emailVerification: "required" });
    const frame = await openFrame("/test/browser/tab.html");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await configGets()).to.equal(0);
    const copy = await importIn(frame, "/dist/auth-elements.js?copy=2");
    const seen: unknown[] = [];
    copy.config.subscribe((value) => seen.push(value));
    await until(() => seen.length === 2, 2000, "the config");
    expect(seen[0]).to.equal(null);
    expect(seen[1]).to.deep.include({ passwordReset: true, emailVerification: "required", minPasswordLength: 12, passkeys: false });
    // The first copy's store is the same one, already filled: no second request.
    const original = await importIn(frame, "/dist/auth-elements.js");
    expect(original.config).to.equal(copy.config);
    original.config.listen(() => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await configGets()).to.equal(1);
    frame.remove();
    expect(config.get() === null || typeof config.get() === "object").to.equal(true);
  });

  it("requestPasswordReset and resendVerification resolve alike for every address", async () => {
    expect(await requestPasswordReset("user@example.com")).to.equal(undefined);
    expect(await requestPasswordReset("nobody@example.com")).to.equal(undefined);
    expect(await resendVerification("nobody@example.com")).to.equal(undefined);
    expect((await mailbox()).map((mail) => [mail.to, mail.kind])).to.deep.equal([["user@example.com", "reset"]]);
    expect(await codeOf(requestPasswordReset("limited@example.com"))).to.equal("rate_limited");
  });

  it("resetPassword signs in with the new password and ends every other session; a spent token is refused", async () => {
    await otherDevice();
    await requestPasswordReset("user@example.com");
    const token = await lastToken("user@example.com", "reset");
    const state = await resetPassword({ token, password: "a-brand-new-password" });
    expect(state).to.deep.include({ status: "authenticated" });
    expect(session.get().user?.email).to.equal("user@example.com");
    expect(await devices()).to.have.length(1);
    expect(await codeOf(resetPassword({ token, password: "another-password" }))).to.equal("reset_token_invalid");
    expect(await codeOf(login({ email: "user@example.com", password: "a-brand-new-password" }))).to.equal("ok");
  });

  it("verifyEmail confirms the address and the signed-in session shows it at once", async () => {
    await signup({ email: "new@example.com", password: "long-enough-password" });
    expect(session.get().user?.emailVerified).to.equal(false);
    await verifyEmail(await lastToken("new@example.com", "verify"));
    expect(session.get().user?.emailVerified).to.equal(true);
    expect(await codeOf(verifyEmail("spent"))).to.equal("verification_token_invalid");
  });

  it("signup resolves anonymous when the address must be confirmed first, and resendVerification mails it again", async () => {
    await setServerConfig({ emailVerification: "required" });
    expect(await signup({ email: "new@example.com", password: "long-enough-password" })).to.deep.equal({
      status: "anonymous",
      user: null,
      expiresAt: null,
    });
    await resendVerification("new@example.com");
    expect((await mailbox()).filter((mail) => mail.to === "new@example.com")).to.have.length(2);
  });

  it("changePassword needs the current password and ends the other sessions unless told not to", async () => {
    await login({ email: "user@example.com", password: "correct-horse" });
    await otherDevice();
    const wrong = await changePassword({ currentPassword: "wrong", newPassword: "a-new-password" }).catch((error) => error);
    expect(wrong).to.include({ code: "invalid_credentials", status: 403 });
    await changePassword({ currentPassword: "correct-horse", newPassword: "a-new-password", signOutOthers: false });
    expect(await devices()).to.have.length(2);
    await changePassword({ currentPassword: "a-new-password", newPassword: "a-newer-password" });
    expect(await devices()).to.have.length(1);
    expect(session.get().status).to.equal("authenticated");
  });

  it("listSessions marks this browser's; revokeSession ends one, and ending this one is a logout", async () => {
    await login({ email: "user@example.com", password: "correct-horse" });
    const other = await otherDevice();
    const sessions = await listSessions();
    expect(sessions).to.have.length(2);
    const mine = sessions.find((entry) => entry.current)!;
    expect(Object.keys(mine).sort()).to.deep.equal(["createdAt", "current", "id", "lastSeenAt", "userAgent"]);
    await revokeSession(other);
    expect((await listSessions()).map((entry) => entry.id)).to.deep.equal([mine.id]);
    expect(await codeOf(revokeSession(other))).to.equal("not_found");
    await revokeSession(mine.id);
    expect(session.get().status).to.equal("anonymous");
    expect(await refreshSession()).to.include({ status: "anonymous" });
  });

  it("a 401 where a session was needed signs the page out and fires auth-session-expired", async () => {
    await login({ email: "user@example.com", password: "correct-horse" });
    await revokeSessions();
    const expired = new Promise<CustomEvent>((resolve) =>
      document.addEventListener("auth-session-expired", (event) => resolve(event as CustomEvent), { once: true }),
    );
    expect(await codeOf(listSessions())).to.equal("unauthenticated");
    expect((await expired).detail).to.deep.equal({ reason: "unauthenticated" });
    expect(session.get().status).to.equal("anonymous");
  });

  it("load their code with their first call only, in another tab too", async () => {
    const frame = await openFrame("/test/browser/tab.html");
    const loaded = () =>
      frame.contentWindow!.performance.getEntriesByType("resource").filter((entry) => entry.name.includes("/dist/chunks/"));
    expect(loaded()).to.deep.equal([]);
    await callInFrame(frame, "requestPasswordReset", "user@example.com");
    expect(loaded().map((entry) => new URL(entry.name).pathname)).to.deep.equal(["/dist/chunks/account-actions.js"]);
    frame.remove();
  });
});
