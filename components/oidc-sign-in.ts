// Sign-in with an OpenID Connect provider, the browser's half (design.md, "Sign in with an OpenID
// Connect provider"), as every login form needs it: the `#auth_error=<code>` that the server sends
// a refused sign-in back with, taken out of the address bar at once so that a reload or a shared
// link does not show it again. The start, a button's navigation, is in login-extras.ts.

/** The code of `#auth_error=<code>` in the page URL, removed from it (the rest of the URL stays). */
export function takeAuthError(): string | undefined {
  const code = /^#auth_error=(oidc_\w+)$/.exec(location.hash)?.[1];
  if (code) history.replaceState(history.state, "", location.href.split("#")[0]);
  return code;
}
