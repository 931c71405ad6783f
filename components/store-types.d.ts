// The hand-written part of the public types: the session store, its actions, errors and messages.
// scripts/build-manifest.ts puts it into auth-elements.d.ts together with the elements' part,
// which it generates from their JSDoc (so their attributes and events are written once).

/** The signed-in user as the session server reports it. */
export interface User {
  id: string;
  email: string;
  /** Whether the e-mail address is confirmed; present once the auth service has said. */
  emailVerified?: boolean;
}

export type SessionStatus = "pending" | "authenticated" | "anonymous";

/** The value of the `session` store. */
export interface SessionState {
  status: SessionStatus;
  user: User | null;
  /** ISO 8601; when the server-side session ends unless it is used again. */
  expiresAt: string | null;
}

/**
 * A read-only nanostores atom: `get()`, `subscribe()` (calls at once), `listen()` (calls on change).
 * Works with @nanostores/react (`useStore(session)`) and @nanostores/vue.
 */
export interface ReadonlyAtom<Value> {
  readonly value: Value | undefined;
  get(): Value;
  listen(listener: (value: Readonly<Value>, oldValue: Readonly<Value> | undefined) => void): () => void;
  subscribe(listener: (value: Readonly<Value>, oldValue?: Readonly<Value>) => void): () => void;
}

export type SessionAtom = ReadonlyAtom<SessionState>;

/** What the session server offers, from `GET <endpoint>/config` (the same for every visitor). */
export interface AuthConfig {
  passwordReset: boolean;
  emailVerification: "off" | "optional" | "required";
  passkeys: boolean;
  /** OpenID Connect providers to offer "Continue with …" for. */
  providers: { id: string; name: string }[];
  /** The shortest password the server accepts. */
  minPasswordLength: number;
}

/** One of the signed-in user's sessions, as `listSessions()` reports it. */
export interface SessionInfo {
  /** An opaque public id, for `revokeSession()`; never the session's own id. */
  id: string;
  /** This browser's own session. */
  current: boolean;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  lastSeenAt: string;
  /** A short label of the browser and system ("Chrome on Linux"), when known. */
  userAgent?: string | null;
}

/** One of the signed-in user's passkeys, as `listPasskeys()` reports it. */
export interface PasskeyInfo {
  /** The id for `removePasskey()`. */
  id: string;
  /** What the user named it (the auth service names an unnamed one). */
  name: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; null until it first signs in. */
  lastUsedAt: string | null;
}

/** How `loginWithPasskey()` asks the browser. */
export interface PasskeyLoginOptions extends RequestOptions {
  /** Offer the passkeys in the autofill of an input with `autocomplete="username webauthn"` (conditional mediation) instead of a dialog; resolves null at once where the browser cannot. */
  conditional?: boolean;
  /** Aborts the pending ceremony (then the call resolves null). */
  signal?: AbortSignal;
}

export interface PasswordReset {
  /** The token of the reset link. */
  token: string;
  /** The new password. */
  password: string;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
  /** End every other session of the user (default true). */
  signOutOthers?: boolean;
}

/** `{error, message}` of the session server, as thrown by the store's actions (`login`, `signup`, `logout`, `refreshSession`, …). */
export interface AuthErrorInfo {
  /** Stable code: `invalid_credentials`, `validation_failed`, `rate_limited`, `network_error`, ... */
  code: string;
  message: string;
  /** HTTP status; 0 when the request did not reach the server. */
  status: number;
  violations?: Violation[];
  /** Seconds to wait, with `rate_limited`. */
  retryAfter?: number;
}

export interface AuthError extends Error, AuthErrorInfo {}

export interface Violation {
  field: string;
  code: string;
  message: string;
}

export interface Credentials {
  email: string;
  password: string;
}

export interface RequestOptions {
  /** The session server's auth base URL; default: `configure()`, `<meta name="auth-endpoint">`, `/auth`. */
  endpoint?: string;
}

/**
 * Every message key of a locale: UI strings, the session server's error codes, and its violation
 * codes (a violation `{field, code}` is shown as `<field>_<code>` when that key exists, else `<code>`).
 */
export type MessageKey = CoreMessageKey | AccountMessageKey | PasskeyMessageKey;

/** The texts of the four original elements and of the common error codes: built into the entry. */
export type CoreMessageKey =
  | "email_label"
  | "password_label"
  | "login_submit"
  | "signup_submit"
  | "logout_label"
  | "forgot_password"
  | "resend_link"
  | "link_sent"
  | "check_inbox"
  | "required"
  | "email_required"
  | "password_required"
  | "invalid_email"
  | "too_short"
  | "password_too_short"
  | "too_long"
  | "already_used"
  | "email_already_used"
  | "invalid"
  | "validation_failed"
  | "invalid_credentials"
  | "email_not_verified"
  | "rate_limited"
  | "auth_unavailable"
  | "auth_timeout"
  | "session_store_unavailable"
  | "unauthenticated"
  | "session_expired"
  | "bad_request"
  | "payload_too_large"
  | "unsupported_media_type"
  | "csrf_rejected"
  | "internal_error"
  | "network_error"
  | "oidc_denied"
  | "oidc_failed"
  | "oidc_unavailable"
  | "continue_with"
  | "unknown_error";

/** The texts of `<auth-password-reset>`, `<auth-verify-email>` and `<auth-account>`: they come with that code. */
export type AccountMessageKey =
  | "new_password_label"
  | "current_password_label"
  | "reset_request_submit"
  | "reset_link_sent"
  | "reset_submit"
  | "reset_done"
  | "reset_token_invalid"
  | "verify_pending"
  | "email_verified"
  | "verification_token_invalid"
  | "verify_no_token"
  | "retry"
  | "sessions_heading"
  | "sessions_loading"
  | "this_device"
  | "unknown_device"
  | "signed_in_at"
  | "last_seen_at"
  | "signout_others"
  | "session_revoked"
  | "others_revoked"
  | "session_gone"
  | "password_heading"
  | "password_submit"
  | "password_changed"
  | "current_password_wrong"
  | "not_found"
  | "passkeys_heading"
  | "passkeys_none"
  | "passkey_created_at"
  | "passkey_last_used_at"
  | "passkey_never_used"
  | "passkey_name_label"
  | "passkey_add"
  | "passkey_added"
  | "passkey_remove"
  | "passkey_remove_confirm"
  | "passkey_removed"
  | "passkey_gone"
  | "passkey_invalid"
  | "passkey_exists";

/** The texts of a passkey sign-in (`<auth-login>`'s button and what it may say): they come with the WebAuthn code, which loads when the server offers passkeys. */
export type PasskeyMessageKey = "passkey_login" | "passkey_refused" | "passkey_failed";

export type Messages = Record<MessageKey, string>;

export interface ConfigureOptions {
  /** The session server's auth base URL for the store and every element without its own `endpoint`. */
  endpoint?: string;
  /** Per language (`en`, `de`, `pt-BR`, … or a new one), messages that replace the built-in ones (they win over a locale module that loads later; a whole locale, such as the default export of `auth-elements/locales/de`, spares its download); missing keys fall back to English. */
  messages?: Record<string, Partial<Messages>>;
}

export interface AuthSessionExpiredDetail {
  /** `expired`: a re-check found no session; `unauthenticated`: `apiFetch` got a 401. */
  reason: "expired" | "unauthenticated";
}

/** Events of the store itself, fired on `document`. */
interface AuthStoreEventMap {
  "auth-session-expired": CustomEvent<AuthSessionExpiredDetail>;
}

export declare const session: SessionAtom;
export declare function login(credentials: Credentials, options?: RequestOptions): Promise<SessionState>;
/** Creates an account and signs it in; resolves anonymous when the server requires a confirmed e-mail address first. */
export declare function signup(credentials: Credentials, options?: RequestOptions): Promise<SessionState>;
/**
 * Ends the session. For a session signed in with an OpenID Connect provider the server answers a
 * `logoutUrl`: once the state here is anonymous, the page navigates there (the provider's sign-out,
 * which then sends the browser to the site's root), and no element opens its own `redirect`.
 */
export declare function logout(options?: RequestOptions): Promise<void>;
export declare function refreshSession(options?: RequestOptions): Promise<SessionState>;
/** `fetch` with credentials and `X-CSRF: 1`; a 401 flips the session to anonymous and fires `auth-session-expired`. */
export declare function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
export declare function configure(options: ConfigureOptions): void;
/**
 * The built-in English of the four original elements (a read-only copy). The newer elements bring
 * theirs with their code; other languages load on demand (`dist/locales/<lang>.js`).
 */
export declare const messages: Readonly<{ en: Readonly<Record<CoreMessageKey, string>> }>;

/**
 * `GET <endpoint>/config` as a store: `null` until the answer arrives. Fetched once per page, when
 * the first element or listener needs it.
 */
export declare const config: ReadonlyAtom<AuthConfig | null>;
/** Asks for a password reset link; resolves alike whether or not the account exists. */
export declare function requestPasswordReset(email: string, options?: RequestOptions): Promise<void>;
/** Sets a new password with a reset link's token and signs in; every other session of the user ends. Throws `reset_token_invalid`. */
export declare function resetPassword(reset: PasswordReset, options?: RequestOptions): Promise<SessionState>;
/** Confirms an e-mail address with a verification link's token. Throws `verification_token_invalid`. */
export declare function verifyEmail(token: string, options?: RequestOptions): Promise<void>;
/** Asks for a new verification link; resolves alike whether or not the account exists. */
export declare function resendVerification(email: string, options?: RequestOptions): Promise<void>;
/** Changes the signed-in user's password. Throws `invalid_credentials` (status 403) for a wrong current password. */
export declare function changePassword(change: PasswordChange, options?: RequestOptions): Promise<void>;
/** The signed-in user's sessions, this browser's marked `current`. */
export declare function listSessions(options?: RequestOptions): Promise<SessionInfo[]>;
/** Ends one of the user's sessions on every instance at once; ending this browser's own is a logout. */
export declare function revokeSession(id: string, options?: RequestOptions): Promise<void>;
/**
 * Signs in with a passkey of this browser's authenticators, and updates the session like `login()`.
 * Resolves null when the user cancels, the ceremony times out or `signal` aborts it (nothing to
 * announce); throws `invalid_credentials` (401) when the server refuses the passkey.
 */
export declare function loginWithPasskey(options?: PasskeyLoginOptions): Promise<SessionState | null>;
/** Creates a passkey for the signed-in user on this browser's authenticator and registers it under `name`; null when the user cancels. Throws `passkey_invalid` (400), `passkey_exists` (this authenticator has one already). */
export declare function registerPasskey(name?: string, options?: RequestOptions): Promise<PasskeyInfo | null>;
/** The signed-in user's passkeys. */
export declare function listPasskeys(options?: RequestOptions): Promise<PasskeyInfo[]>;
/** Removes one of the signed-in user's passkeys: it signs in no more. Throws `not_found` (404) for one that is not (or no longer) theirs. */
export declare function removePasskey(id: string, options?: RequestOptions): Promise<void>;
