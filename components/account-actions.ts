// The store's account lifecycle actions (design.md, "Account lifecycle"): password reset, e-mail
// verification, password change, the user's sessions and passkeys, one session server call each
// (a passkey's creation a WebAuthn ceremony between two: webauthn.ts, which comes with
// <auth-login>'s extras, login-extras.ts, and is imported from there). A chunk of their own: the entry exports them as functions that load it (account-api.ts), the newer
// elements import them. A reset request answers alike for every address, so it resolves alike
// too; a 401 where a session was needed signs the whole page out.
import type { AuthError, PasskeyInfo, PasswordChange, PasswordReset, RequestOptions, SessionInfo, SessionState } from "./auth-elements.js";
import { page } from "./page-state.js";
import { request } from "./session-client.js";
import { ANONYMOUS, authenticate, commit, endpointFor, refreshSession, sessionLost } from "./session-store.js";

/** One session server call; a 401 while signed in means the session ended elsewhere: the page signs out. */
async function call<T>(path: string, options: RequestOptions = {}, method = "POST", body?: unknown): Promise<T> {
  try {
    return await request<T>(endpointFor(options.endpoint), path, method, body);
  } catch (error) {
    if ((error as AuthError).status === 401 && page.session.get().status === "authenticated") sessionLost();
    throw error;
  }
}

/** Asks for a reset link for `email`; resolves whether or not the account exists. */
export async function requestPasswordReset(email: string, options?: RequestOptions): Promise<void> {
  await call("/password-reset", options, "POST", { email });
}

/** Sets a new password with the token of a reset link; signs in (every other session of the user ends). */
export function resetPassword({ token, password }: PasswordReset, options?: RequestOptions): Promise<SessionState> {
  return authenticate("/password-reset/confirm", { token, password }, options);
}

/** Confirms an e-mail address with the token of a verification link. */
export async function verifyEmail(token: string, options?: RequestOptions): Promise<void> {
  await call("/email-verification", options, "POST", { token });
  // The server marks a signed-in session of that user verified at once; show it.
  if (page.session.get().status === "authenticated") await refreshSession(options).catch(() => {});
}

/** Changes the signed-in user's password; other sessions end unless `signOutOthers` is false. */
export async function changePassword(
  { currentPassword, newPassword, signOutOthers }: PasswordChange,
  options?: RequestOptions,
): Promise<void> {
  await call("/password", options, "POST", { currentPassword, newPassword, ...(signOutOthers != null && { signOutOthers }) });
}

/** The signed-in user's sessions, this browser's marked `current`. */
export async function listSessions(options?: RequestOptions): Promise<SessionInfo[]> {
  const { sessions } = await call<{ sessions: SessionInfo[] }>("/sessions", options, "GET");
  page.currentSessionId = sessions.find((entry) => entry.current)?.id;
  return sessions;
}

/** Ends every other session of the user at once; resolves with how many ended. (The element's; not in the API yet.) */
export async function revokeOtherSessions(options?: RequestOptions): Promise<number> {
  return (await call<{ revoked: number }>("/sessions/revoke-all", options, "POST", { keepCurrent: true })).revoked;
}

/** Ends one of the user's sessions at once; ending this browser's own is a logout. */
export async function revokeSession(id: string, options?: RequestOptions): Promise<void> {
  await call(`/sessions/${encodeURIComponent(id)}`, options, "DELETE");
  if (id === page.currentSessionId) commit(ANONYMOUS);
}

/** Creates a passkey on this browser's authenticator and registers it for the signed-in user; null when the user cancelled. */
export async function registerPasskey(name?: string, options?: RequestOptions): Promise<PasskeyInfo | null> {
  const json = await call<PublicKeyCredentialCreationOptionsJSON>("/passkeys/register/options", options);
  const { ceremony, creationOptions } = await import("./login-extras.js");
  const credential = await ceremony(() => navigator.credentials.create({ publicKey: creationOptions(json) }));
  return credential && call<PasskeyInfo>("/passkeys", options, "POST", { credential, ...(name && { name }) });
}

/** The signed-in user's passkeys. */
export async function listPasskeys(options?: RequestOptions): Promise<PasskeyInfo[]> {
  return (await call<{ passkeys: PasskeyInfo[] }>("/passkeys", options, "GET")).passkeys;
}

/** Removes one of the signed-in user's passkeys. */
export async function removePasskey(id: string, options?: RequestOptions): Promise<void> {
  await call(`/passkeys/${encodeURIComponent(id)}`, options, "DELETE");
}
