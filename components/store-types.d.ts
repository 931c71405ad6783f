// The hand-written part of the public types: the session store, its actions, errors and messages.
// scripts/build-manifest.ts puts it into auth-elements.d.ts together with the elements' part,
// which it generates from their JSDoc (so their attributes and events are written once).

/** The signed-in user as the session server reports it. */
export interface User {
  id: string;
  email: string;
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
export interface SessionAtom {
  readonly value: SessionState | undefined;
  get(): SessionState;
  listen(listener: (value: Readonly<SessionState>, oldValue: Readonly<SessionState> | undefined) => void): () => void;
  subscribe(listener: (value: Readonly<SessionState>, oldValue?: Readonly<SessionState>) => void): () => void;
}

/** `{error, message}` of the session server, as thrown by `login`, `signup`, `logout` and `refreshSession`. */
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
export type MessageKey =
  | "email_label"
  | "password_label"
  | "login_submit"
  | "signup_submit"
  | "logout_label"
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
  | "unknown_error";

export type Messages = Record<MessageKey, string>;

export interface ConfigureOptions {
  /** The session server's auth base URL for the store and every element without its own `endpoint`. */
  endpoint?: string;
  /** Per language (`en`, `nl`, or a new one), messages that replace the built-in ones (they win over a locale module that loads later); missing keys fall back to English. */
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
export declare function signup(credentials: Credentials, options?: RequestOptions): Promise<SessionState>;
export declare function logout(options?: RequestOptions): Promise<void>;
export declare function refreshSession(options?: RequestOptions): Promise<SessionState>;
/** `fetch` with credentials and `X-CSRF: 1`; a 401 flips the session to anonymous and fires `auth-session-expired`. */
export declare function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
export declare function configure(options: ConfigureOptions): void;
/** The built-in English (a read-only copy); other languages load on demand (`dist/locales/<lang>.js`). */
export declare const messages: Readonly<{ en: Readonly<Messages> }>;
