// Forward auth: `GET /auth/verify` for a reverse proxy that asks before it forwards (nginx
// `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`, Envoy `ext_authz` over HTTP). For a
// signed-in session the answer is 200 with `Authorization: Bearer <jwt>`, `X-Auth-Request-User` and
// `X-Auth-Request-Email`, which the proxy puts on the request it forwards; otherwise the same errors
// as the gateway's: 401 without a session, 403 from the CSRF check, 503 while the store or the auth
// service is down. It is the gateway with the proxy doing the forwarding, so it is built from the
// gateway's pieces: the session seam, the JWT provider's cache and single flight, the CSRF policy.
//
// Threat model:
// - The JWT travels in a response header. A page script that could fetch this route would read it,
//   so it is served only on the internal FORWARD_AUTH_PORT listener, which the proxy reaches and
//   browsers do not; the public port answers 404. No body ever carries a token.
// - The proxy describes the original request: `X-Forwarded-Method` (Envoy sends the original method
//   itself, and appends the original path to its path_prefix), the original `Cookie`, `Origin`,
//   `X-CSRF` and `Sec-Fetch-Site`, and `X-Forwarded-Proto` / `-Host`. A safe method needs nothing
//   more than the session; an unsafe one passes the /api rule (X-CSRF: 1 and an allowed Origin), so a
//   cross-site form cannot make the proxy act for a signed-in browser.
// - The scheme and host, and so the server's own origin in that check, come from the request context
//   with TRUST_PROXY exactly as on the public port (security.md 34): forwarded ones only from a
//   trusted peer. The method is read from any peer that reaches this listener: it only chooses which
//   rule applies, and the proxy overwrites whatever the browser sent (a browser cannot add the header
//   to a cross-site request without a preflight).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { OriginPolicy } from "../http/csrf.js";
import { ApiError, type ErrorExit } from "../http/errors.js";
import type { HeaderList } from "../http/security-headers.js";
import type { Sessions } from "../session/sessions.js";
import type { JwtProvider } from "./jwt-provider.js";
import type { JwtForSession } from "./session-jwt.js";

export interface ForwardAuthDeps {
  /** `<AUTH_PREFIX>/verify`. */
  path: string;
  sessions: Sessions;
  originPolicy: OriginPolicy;
  jwtProvider: JwtProvider;
  jwtFor: JwtForSession;
  errors: ErrorExit;
  headers: HeaderList;
}

/** Methods that change nothing: they need no X-CSRF (RFC 9110 safe methods, TRACE aside). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** An HTTP method is a token (RFC 9110); anything else is a broken proxy or a forgery. */
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;

/** The original request's method: the proxy's X-Forwarded-Method, else this request's own (Envoy). */
function originalMethod(req: IncomingMessage): string {
  const forwarded = req.headers["x-forwarded-method"];
  if (forwarded === undefined) return req.method ?? "GET";
  const value = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.trim() ?? "";
  if (!METHOD_TOKEN.test(value)) throw new ApiError(400, "bad_request", { message: "X-Forwarded-Method is not an HTTP method." });
  return value.toUpperCase();
}

/** A header value Node accepts as it is; an address with other characters goes percent-encoded. */
const headerSafe = (value: string): string => (/^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value));

export type ForwardAuth = (req: IncomingMessage, res: ServerResponse) => void;

export function createForwardAuth(deps: ForwardAuthDeps): ForwardAuth {
  const { path, sessions, originPolicy, jwtProvider, jwtFor, errors, headers } = deps;
  const isVerify = (url: string | undefined): boolean =>
    url === path || (url !== undefined && url.startsWith(path) && (url[path.length] === "?" || url[path.length] === "/"));

  async function verify(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isVerify(req.url)) throw new ApiError(404, "not_found");
    // The original body is the upstream's business; a proxy that sends one anyway gets it drained.
    req.resume();
    if (!SAFE_METHODS.has(originalMethod(req))) originPolicy.check(req);
    const session = await sessions.load(req);
    if (!session) throw new ApiError(401, "unauthenticated");
    const jwt = jwtProvider.cached(session.sid) ?? (await jwtFor(session));
    const answer: string[] = [];
    for (const [name, value] of headers) answer.push(name, value);
    answer.push(
      "Authorization",
      `Bearer ${jwt}`,
      "X-Auth-Request-User",
      headerSafe(session.user.id),
      "X-Auth-Request-Email",
      headerSafe(session.user.email),
      "Content-Length",
      "0",
    );
    res.writeHead(200, answer);
    res.end();
  }

  return (req, res) => {
    verify(req, res).catch((error: unknown) => errors.send(req, res, error, "forward_auth"));
  };
}
