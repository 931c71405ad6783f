// The newer elements live in a chunk beside the entry (dist/chunks/account-elements.js), so that a
// page using only the four original elements downloads none of their code (design.md, "Size").
// The chunk is imported the first time one of their tags is in the document; it registers the
// elements with define(), and the browser upgrades the ones already there (properties set before
// that are kept). Tags inside another component's shadow root are not seen, just as our light-DOM
// forms want to be in the document.
import { takeLinkToken } from "./link-token.js";
import { page } from "./page-state.js";

const TAGS = "auth-account,auth-password-reset,auth-verify-email";

/** Imports the chunk once `root` is, or holds, one of the tags (unless a bundle copy already did). */
function discover(root: Element | Document): void {
  if (page.lazyLoad || !((root as Element).matches?.(TAGS) || root.querySelector(TAGS))) return;
  // A reset or verification link's token leaves the address bar before the chunk is asked for,
  // so that not even that request's Referer carries it.
  takeLinkToken();
  // One that did not arrive is asked for again when one of the tags shows up next.
  page.lazyLoad = import("./account-elements.js").catch(() => (page.lazyLoad = undefined));
}

if (typeof MutationObserver === "function" && typeof document === "object") {
  discover(document);
  new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) if (node.nodeType === 1) discover(node as Element);
  }).observe(document, { childList: true, subtree: true });
}
