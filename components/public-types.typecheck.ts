// Type tests of dist/auth-elements.d.ts as a consumer sees it: checked by `tsc -p components`
// (after `npm run build:elements`), never run. A line that stops compiling is a broken promise.
import {
  apiFetch,
  changePassword,
  config,
  configure,
  listSessions,
  login,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  revokeSession,
  session,
  verifyEmail,
  type AuthConfig,
  type AuthElementsEventMap,
  type SessionInfo,
  type SessionState,
  type SessionStatus,
  type User,
} from "../dist/auth-elements.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const gate = document.createElement("auth-gate");
assertType<Equal<typeof gate.state, SessionStatus>>();
const form = document.querySelector("auth-login")!;
form.minPasswordLength = 10;
form.addEventListener("auth-login", (event) => {
  assertType<Equal<typeof event.detail.user, User>>();
});
form.addEventListener("auth-error", (event) => {
  assertType<Equal<typeof event.detail.code, string>>();
});
document.addEventListener("auth-session-expired", (event) => {
  assertType<Equal<typeof event.detail.reason, "expired" | "unauthenticated">>();
});
document.body.addEventListener("auth-signup", (event) => {
  assertType<Equal<typeof event, AuthElementsEventMap["auth-signup"]>>();
});

session.subscribe((state) => {
  assertType<Equal<typeof state.status, SessionStatus>>();
});
document.body.addEventListener("auth-signup", (event) => {
  assertType<Equal<typeof event.detail.user, User | null>>();
  assertType<Equal<typeof event.detail.verificationRequired, boolean>>();
});
const account = document.createElement("auth-account");
account.sections = "password";
account.addEventListener("auth-session-revoked", (event) => {
  assertType<Equal<typeof event.detail.id, string | null>>();
});
config.subscribe((value) => {
  assertType<Equal<typeof value, Readonly<AuthConfig | null>>>();
});

export async function lifecycle(): Promise<void> {
  await requestPasswordReset("a@example.com");
  await resendVerification("a@example.com", { endpoint: "/auth" });
  const state: SessionState = await resetPassword({ token: "t", password: "a-new-password" });
  await verifyEmail("t");
  await changePassword({ currentPassword: "old", newPassword: "a-new-password", signOutOthers: false });
  const sessions: SessionInfo[] = await listSessions();
  await revokeSession(sessions[0]!.id);
  const verified: boolean | undefined = state.user?.emailVerified;
  // @ts-expect-error the token is needed
  await resetPassword({ password: "a-new-password" });
  void verified;
}

export async function usage(): Promise<void> {
  const state: SessionState = await login({ email: "a@example.com", password: "secret-password" });
  const response: Response = await apiFetch("/api/notes/list", { method: "POST" });
  configure({ endpoint: "/auth", messages: { nl: { login_submit: "Inloggen" } } });
  // @ts-expect-error unknown message keys are refused
  configure({ messages: { en: { no_such_key: "x" } } });
  void state;
  void response;
}
