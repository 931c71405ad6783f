// Where a browser may be sent back after signing in with a provider: a path on this same origin,
// nothing else. Threat model: `returnTo` is chosen by whoever made the link, so an open redirect here
// would turn our sign-in into a phishing hop (a real provider's page, then the attacker's). Like
// upstream-path.ts, this refuses rather than normalises: anything that is not plainly a same-origin
// path (another origin, `//host`, `/\host`, a scheme, control characters or spaces that a URL parser
// would drop or fold, a backslash anywhere) becomes `/`.

const MAX_LENGTH = 2048;
const PROBE_ORIGIN = "http://return-to.invalid";

/** `raw` when it is a same-origin path (with its query and fragment), else `/`. */
export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LENGTH) return "/";
  if (!raw.startsWith("/") || raw.startsWith("//")) return "/";
  // A backslash is a slash to browsers (`/\evil.example`); tabs, newlines and other controls are
  // dropped by URL parsers (`/\t/evil.example` is `//evil.example`); spaces have no place in a path.
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || code === 0x5c) return "/";
  }
  let url: URL;
  try {
    url = new URL(raw, PROBE_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== PROBE_ORIGIN || url.pathname.startsWith("//")) return "/";
  return url.pathname + url.search + url.hash;
}

/** The address to send a failed sign-in back to: `returnTo` without its fragment, plus `#auth_error=<code>`. */
export function withAuthError(returnTo: string, code: string): string {
  const hash = returnTo.indexOf("#");
  return `${hash === -1 ? returnTo : returnTo.slice(0, hash)}#auth_error=${code}`;
}
