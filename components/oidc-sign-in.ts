// Sign-in with an OpenID Connect provider, the browser's half (design.md, "Sign in with an OpenID
// Connect provider"): a full-page navigation to the session server's `/oidc/<id>/start` (never a
// pop-up: the provider's pages get the whole window, and no token passes through this page), and
// the `#auth_error=<code>` that the server sends a refused sign-in back with, taken out of the
// address bar at once so that a reload or a shared link does not show it again.
import { endpointFor } from "./session-store.js";

/**
 * Leaves the page for the provider `id` (one GET /config lists: a plain name, nothing to encode); the
 * server sends the browser back here (path, query and hash).
 */
export function continueWith(id: string, endpoint?: string): void {
  const returnTo = encodeURIComponent(location.href.slice(location.origin.length));
  location.assign(`${endpointFor(endpoint)}/oidc/${id}/start?returnTo=${returnTo}`);
}

/** The code of `#auth_error=<code>` in the page URL, removed from it (the rest of the URL stays). */
export function takeAuthError(): string | undefined {
  const code = /^#auth_error=(oidc_\w+)$/.exec(location.hash)?.[1];
  if (code) history.replaceState(history.state, "", location.href.split("#")[0]);
  return code;
}
