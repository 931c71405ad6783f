// <auth-login>'s extras (dist/chunks/login-extras.js): what only some login forms show, loaded
// once GET /config offers it: the "Continue with <provider>" buttons, and a passkey sign-in (the
// button and the e-mail field's autofill: webauthn.ts, whose ceremony code a passkey's
// registration in account-actions.ts borrows from here). A chunk of its own, small, rather than
// part of the newer elements' one: a page that uses only the four original elements downloads
// this, and none of those (design.md, "Size"; scripts/check-size.mjs counts it).
import { mount, unmount } from "svelte";
import type { AuthConfig } from "./auth-elements.js";
import { endpointFor } from "./session-store.js";
import ProviderButton from "./auth-form/provider-button.svelte";

export { ceremony, creationOptions, loginWithPasskey, passkeyEnglish, passkeyForm } from "./webauthn.js";

/**
 * Leaves the page for the provider `id` (one GET /config lists: a plain name, nothing to encode)
 * through the session server's `/oidc/<id>/start`: a full-page navigation, never a pop-up (the
 * provider's pages get the whole window, and no token passes through this page). The server sends
 * the browser back here (path, query and hash).
 */
function continueWith(id: string, endpoint?: string): void {
  const returnTo = encodeURIComponent(location.href.slice(location.origin.length));
  location.assign(`${endpointFor(endpoint)}/oidc/${id}/start?returnTo=${returnTo}`);
}

/**
 * Mounts a button at the end of `form` for each of `listed` that `only` (the `providers`
 * attribute: space-separated ids; absent: all) names; returns their removal. One component per
 * button rather than a list block: Svelte's block runtime would be most of this chunk.
 */
export function providerButtons(
  form: HTMLFormElement,
  listed: AuthConfig["providers"],
  only: string | undefined,
  label: (name: string) => string,
  endpoint?: string,
): () => void {
  const offered = listed.filter(({ id }) => only == null || only.split(/\s+/).includes(id));
  const buttons = offered.map(({ id, name }) =>
    mount(ProviderButton, {
      target: form,
      props: {
        get label() {
          return label(name);
        },
        choose: () => continueWith(id, endpoint),
      },
    }),
  );
  return () => buttons.forEach((button) => void unmount(button));
}
