// Public types of dist/auth-elements.js. The build copies this file to dist/auth-elements.d.ts;
// components/index.ts checks its exports against it (npx tsc -p components), so they cannot drift.

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
  /** Per language (`en`, `nl`, or a new one), messages that replace the built-in ones; missing keys fall back to English. */
  messages?: Record<string, Partial<Messages>>;
}

export interface AuthLoginDetail {
  user: User;
}
export interface AuthSignupDetail {
  user: User;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuthLogoutDetail {}
export interface AuthErrorDetail {
  code: string;
  message: string;
}
export interface AuthSessionExpiredDetail {
  /** `expired`: a re-check found no session; `unauthenticated`: `apiFetch` got a 401. */
  reason: "expired" | "unauthenticated";
}

/** Events of the elements (all bubble and are composed) and `auth-session-expired` (on `document`). */
export interface AuthElementsEventMap {
  "auth-login": CustomEvent<AuthLoginDetail>;
  "auth-signup": CustomEvent<AuthSignupDetail>;
  "auth-logout": CustomEvent<AuthLogoutDetail>;
  "auth-error": CustomEvent<AuthErrorDetail>;
  "auth-session-expired": CustomEvent<AuthSessionExpiredDetail>;
}

interface AuthElementBase extends HTMLElement {
  /** Attribute `endpoint`. */
  endpoint: string | undefined;
  addEventListener<K extends keyof AuthElementsEventMap>(
    type: K,
    listener: (this: this, ev: AuthElementsEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener<K extends keyof HTMLElementEventMap>(
    type: K,
    listener: (this: this, ev: HTMLElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

export interface AuthFormElement extends AuthElementBase {
  /** Attribute `redirect`: same-origin URL to open after success. */
  redirect: string | undefined;
  /** Attribute `min-password-length` (default 8). */
  minPasswordLength: number;
}

export interface AuthLoginElement extends AuthFormElement {}
export interface AuthSignupElement extends AuthFormElement {}

export interface AuthLogoutElement extends AuthElementBase {
  /** Attribute `redirect`: same-origin URL to open after logout. */
  redirect: string | undefined;
}

export interface AuthGateElement extends AuthElementBase {
  /** Attribute `redirect`: same-origin URL to open when the visitor is anonymous. */
  redirect: string | undefined;
  /** Reflected from the store as the `state` attribute. */
  readonly state: SessionStatus;
}

export declare const session: SessionAtom;
export declare function login(credentials: Credentials, options?: RequestOptions): Promise<SessionState>;
export declare function signup(credentials: Credentials, options?: RequestOptions): Promise<SessionState>;
export declare function logout(options?: RequestOptions): Promise<void>;
export declare function refreshSession(options?: RequestOptions): Promise<SessionState>;
/** `fetch` with credentials and `X-CSRF: 1`; a 401 flips the session to anonymous and fires `auth-session-expired`. */
export declare function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
export declare function configure(options: ConfigureOptions): void;
/** Built-in messages (read-only copies). */
export declare const messages: Readonly<Record<"en" | "nl", Readonly<Messages>>>;

declare global {
  interface HTMLElementTagNameMap {
    "auth-login": AuthLoginElement;
    "auth-signup": AuthSignupElement;
    "auth-logout": AuthLogoutElement;
    "auth-gate": AuthGateElement;
  }
  interface HTMLElementEventMap extends AuthElementsEventMap {}
  interface DocumentEventMap {
    "auth-session-expired": CustomEvent<AuthSessionExpiredDetail>;
  }
}
