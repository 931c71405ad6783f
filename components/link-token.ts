// The token of a password reset or e-mail verification link (`?token=` or `#token=`). It is taken
// out of the address bar (history.replaceState) the moment the page shows an element that reads it,
// before any request, so that no Referer, history entry or shared screenshot carries it, and kept
// in page state for that element.
import { page } from "./page-state.js";

/** The link's token, once taken from the page URL; undefined when the page came without one. */
export function takeLinkToken(): string | undefined {
  const url = new URL(location.href);
  const hash = new URLSearchParams(url.hash.slice(1));
  const token = url.searchParams.get("token") || hash.get("token");
  if (token) {
    url.searchParams.delete("token");
    // Only a hash that held the token is rewritten: "#section" must not become "#section=".
    if (hash.has("token")) {
      hash.delete("token");
      url.hash = String(hash);
    }
    history.replaceState(history.state, "", url);
    page.linkToken = token;
  }
  return page.linkToken;
}
