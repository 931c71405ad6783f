// The page's session: one nanostores atom fed by the session server, shared by every element,
// every bundle copy (see page-state.ts) and, through BroadcastChannel, every tab of the origin.
// The store's start (its first listener: an element, or framework code through useStore) starts
// the one GET <endpoint>/session of the page load, unless the page came with the session
// (<meta name="auth-session">, from a server-rendering host).
import { onStart, type ReadableAtom } from "nanostores";
import type { Credentials, RequestOptions, SessionState, User } from "./auth-elements.js";
import { emit } from "./emit.js";
import { page } from "./page-state.js";
import { request } from "./session-client.js";

interface SessionBody {
  authenticated: boolean;
  user?: User;
  expiresAt?: string;
}

export const ANONYMOUS: SessionState = { status: "anonymous", user: null, expiresAt: null };
const CHANNEL = "auth-elements";
const hasDom = typeof document !== "undefined";

export const session: ReadableAtom<SessionState> = page.session;

/** An element's `endpoint`, else configure(), else <meta name="auth-endpoint">, else /auth. */
export function endpointFor(explicit?: string | null): string {
  const meta = hasDom ? document.querySelector<HTMLMetaElement>('meta[name="auth-endpoint"]')?.content : "";
  return (explicit || page.endpoint || meta || "/auth").replace(/\/+$/, "");
}

function toState(body: SessionBody | undefined): SessionState {
  if (!body?.authenticated || !body.user) return ANONYMOUS;
  return {
    status: "authenticated",
    user: body.user,
    expiresAt: body.expiresAt ?? null,
  };
}

function setState(next: SessionState, broadcast: boolean): void {
  page.session.set(next);
  if (broadcast) page.channel?.postMessage({ type: "session", state: next });
  clearTimeout(page.expiryTimer);
  if (hasDom && next.expiresAt) {
    // A second after the server's expiry; never sooner than 2 s, so clocks that disagree cannot
    // make a tight loop of checks.
    const wait = Date.parse(next.expiresAt) - Date.now() + 1000;
    page.expiryTimer = setTimeout(recheck, Math.min(Math.max(wait, 2000), 2 ** 31 - 1));
  }
}

/** A change the user made (login, logout, a 401): wins over any check still on its way. */
export function commit(next: SessionState): void {
  page.epoch++;
  setState(next, true);
}

function expired(reason: "expired" | "unauthenticated"): void {
  if (hasDom) emit(document, "auth-session-expired", { reason });
}

/** The server says this browser has no session (a 401 where one was needed): every element and tab follows. */
export function sessionLost(): void {
  commit(ANONYMOUS);
  expired("unauthenticated");
}

/** GET <endpoint>/session now; concurrent calls share one request. */
export function refreshSession(options: RequestOptions = {}): Promise<SessionState> {
  page.started = true;
  const epoch = page.epoch;
  return (page.check ??= request<SessionBody>(endpointFor(options.endpoint ?? page.checkEndpoint), "/session")
    .then((body) => {
      const before = page.session.get();
      if (epoch !== page.epoch) return before;
      const next = toState(body);
      setState(next, false);
      if (before.status === "authenticated" && next.status === "anonymous") expired("expired");
      return next;
    })
    .finally(() => {
      page.check = undefined;
    }));
}

function recheck(): void {
  refreshSession().catch(() => {});
}

/** Starts the page's first session check, once; a failed first check is retried with backoff. */
export function startSession(endpoint?: string | null): void {
  if (page.started || !hasDom) return;
  page.checkEndpoint = endpoint || undefined;
  let delay = 2000;
  const attempt = (): void => {
    refreshSession().catch(() => {
      if (page.session.get().status === "pending") setTimeout(attempt, (delay = Math.min(delay * 2, 60_000)));
    });
  };
  attempt();
}

/** POSTs `body` to a route that answers with a session body (login, signup, a reset) and adopts it. */
export async function authenticate(path: string, body: object, options: RequestOptions = {}): Promise<SessionState> {
  const next = toState(await request<SessionBody>(endpointFor(options.endpoint), path, "POST", body));
  commit(next);
  return next;
}

export function login({ email, password }: Credentials, options?: RequestOptions): Promise<SessionState> {
  return authenticate("/login", { email, password }, options);
}

/** Resolves anonymous when the account must confirm its e-mail address before it can sign in. */
export function signup({ email, password }: Credentials, options?: RequestOptions): Promise<SessionState> {
  return authenticate("/signup", { email, password }, options);
}

/** Signs out; a provider's session (the server answers `{logoutUrl}`) then leaves for the provider's sign-out. */
export async function logout(options: RequestOptions = {}): Promise<void> {
  const endpoint = endpointFor(options.endpoint);
  const body = await request<{ logoutUrl?: string } | undefined>(endpoint, "/logout", "POST");
  commit(ANONYMOUS);
  // The URL is on the session server's origin (a path there): resolved against the endpoint, so
  // that a cross-origin endpoint works too. No element's `redirect` may override this navigation.
  if (body?.logoutUrl) location.assign((page.leaving = new URL(body.logoutUrl, new URL(endpoint, location.href))));
}

/** fetch() for the gateway: cookies and `X-CSRF: 1`; a 401 means the session is gone. */
export async function apiFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set("X-CSRF", "1");
  const response = await fetch(input, { ...init, headers, credentials: "include" });
  if (response.status === 401) sessionLost();
  return response;
}

// Listeners are installed by the first copy of the bundle only; later copies reuse its state.
if (!page.wired) {
  page.wired = true;
  if (hasDom) {
    // A server-rendered page that knows the session renders it (<meta name="auth-session"> with
    // the body of GET /session): the store starts from it and the page's first check is done;
    // the re-checks (expiry, tab shown, a 401) follow as ever and correct a stale or forged value.
    // Only what the gate shows depends on it, never what the server gives (the gate hides, it
    // does not protect). An unreadable value is ignored: the first check runs.
    const rendered = document.querySelector<HTMLMetaElement>('meta[name="auth-session"]')?.content;
    if (rendered) {
      try {
        setState(toState(JSON.parse(rendered) as SessionBody), false);
        page.started = true;
      } catch {
        // Not JSON: as if there were no meta.
      }
    }
    onStart(page.session, () => startSession());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && page.started) recheck();
    });
    if (typeof BroadcastChannel === "function") {
      page.channel = new BroadcastChannel(CHANNEL);
      page.channel.onmessage = (event: MessageEvent) => {
        const state = event.data?.state as SessionState | undefined;
        if (event.data?.type !== "session" || !state?.status) return;
        page.epoch++;
        setState(state, false);
      };
    }
  }
}
