// The one state object of a page, kept on globalThis so that two copies of the bundle (two
// builds, or the same file loaded from two URLs) share one session store, one config and one
// set of listeners instead of each making its own GET /auth/session.
import { atom, type WritableAtom } from "nanostores";
import type { AuthConfig, Messages, SessionState } from "./auth-elements.js";

export interface PageState {
  session: WritableAtom<SessionState>;
  /** The session server's GET /config answer; null until it arrives. */
  config: WritableAtom<AuthConfig | null>;
  /** The running or settled GET /config (unset again after a failure, so a later need retries). */
  configRequest?: Promise<void> | undefined;
  /** The public id of this browser's session, as the last listSessions() reported it. */
  currentSessionId?: string | undefined;
  /** The token of the reset or verification link this page was opened with (link-token.ts). */
  linkToken?: string;
  /** The import of the newer elements' chunk, once a bundle copy started it (lazy-elements.ts). */
  lazyLoad?: Promise<unknown> | undefined;
  /** Set by configure(); wins over <meta name="auth-endpoint">. */
  endpoint?: string;
  /** Message overrides by language, from configure(). */
  messages: Record<string, Partial<Messages>>;
  /** The first session check has been started. */
  started?: boolean;
  /** The endpoint the first check used; later re-checks (tab shown, expiry) use it too. */
  checkEndpoint?: string | undefined;
  /** Running GET /session, shared by concurrent callers. */
  check?: Promise<SessionState> | undefined;
  /** Bumped by every change that is not a check result, so a stale check cannot undo a login. */
  epoch: number;
  /** Tells other tabs about logins and logouts. */
  channel?: BroadcastChannel;
  expiryTimer?: ReturnType<typeof setTimeout>;
  /** The locale module of the document's language, when the page preloads one: elements mount after it (lang.ts). */
  preloading?: Promise<void> | undefined;
  /** Mounted elements to re-render when a `lang` attribute or the messages change. */
  langListeners: Set<() => void>;
  langObserver?: MutationObserver;
  /** Counter for ids that must be unique on the page across bundle copies. */
  uid: number;
  /** Where logout() sent the page (a provider's sign-out): redirects of the elements give way to it. */
  leaving?: URL;
  /** Hooks the first copy installed (tabs, expiry, lang); later copies only reuse them. */
  wired?: boolean;
}

const KEY = Symbol.for("auth-elements.store");
const host = globalThis as typeof globalThis & { [KEY]?: PageState };

export const page: PageState = (host[KEY] ??= {
  session: atom<SessionState>({ status: "pending", user: null, expiresAt: null }),
  config: atom<AuthConfig | null>(null),
  messages: {},
  uid: 0,
  epoch: 0,
  langListeners: new Set(),
});
