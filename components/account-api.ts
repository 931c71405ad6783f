// The account lifecycle and passkey actions as the entry exports them (design.md, "Elements and
// store"): each one imports its code (account-actions.ts, beside the newer elements' chunk; a
// passkey sign-in <auth-login>'s extras, login-extras.ts, with the WebAuthn code of webauthn.ts)
// on its first call, so that a page using only the four original elements downloads none of it
// until it needs it. Sending the verification link again is the exception
// (resend-verification.ts): <auth-login> and <auth-signup> offer it themselves.
import type * as Actions from "./account-actions.js";
import type * as LoginExtras from "./login-extras.js";

type Name =
  | "requestPasswordReset"
  | "resetPassword"
  | "verifyEmail"
  | "changePassword"
  | "listSessions"
  | "revokeSession"
  | "registerPasskey"
  | "listPasskeys"
  | "removePasskey";

/** `name`, loading its module with the first call. */
function later<N extends Name>(name: N): (typeof Actions)[N] {
  return ((...args: unknown[]) =>
    import("./account-actions.js").then((actions) => (actions[name] as (...a: unknown[]) => unknown)(...args))) as (typeof Actions)[N];
}

export const requestPasswordReset = later("requestPasswordReset");
export const resetPassword = later("resetPassword");
export const verifyEmail = later("verifyEmail");
export const changePassword = later("changePassword");
export const listSessions = later("listSessions");
export const revokeSession = later("revokeSession");
export const registerPasskey = later("registerPasskey");
export const listPasskeys = later("listPasskeys");
export const removePasskey = later("removePasskey");
export const loginWithPasskey: typeof LoginExtras.loginWithPasskey = (options) =>
  import("./login-extras.js").then((extras) => extras.loginWithPasskey(options));
