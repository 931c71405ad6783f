// Navigation after login, logout or when a gate finds no session, limited to the page's own
// origin so that a `redirect` attribute cannot become an open redirect, and never in place of the
// navigation to a provider's sign-out that logout() started.
import { page } from "./page-state.js";

/** The absolute same-origin http(s) URL of `target`, or null when it points elsewhere. */
export function sameOriginUrl(target: string | null | undefined): string | null {
  if (!target) return null;
  try {
    const url = new URL(target, location.href);
    return url.origin === location.origin && /^https?:$/.test(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

export function redirectTo(target: string | null | undefined): void {
  const url = sameOriginUrl(target);
  if (url && url !== location.href && !page.leaving) location.assign(url);
}
