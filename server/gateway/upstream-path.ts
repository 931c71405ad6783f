// Maps `/api/<service>/<path>?<query>` to a URL under that service's base, and refuses anything
// that could step outside it. Threat model: path traversal and request smuggling through the
// gateway to another host or another path of the upstream (`..`, encoded dots, slashes and
// backslashes, `//host`, absolute-form request targets, servlet path parameters (`..;`), overlong
// UTF-8 and `%u` escapes). We refuse rather than normalise: a browser never sends these for a
// legitimate call, so there is nothing to rescue.
import type { Upstream } from "../config.js";
import { ApiError } from "../http/errors.js";

export interface UpstreamTarget {
  upstream: Upstream;
  /** The path and query to send upstream: the base path, the rest of ours, the query as given. */
  path: string;
}

const GATEWAY_PREFIX = "/api/";
// The common case, checked in one go: `/api/<service>` and segments of unreserved and sub-delim
// characters only (no `%`, `.`, `;`, backslash, control byte or empty segment), a trailing slash
// allowed. Such a path cannot fail any path check below, so it skips them. `/` is outside the
// class, so the match is linear.
const PLAIN_PATH = /^\/api\/[\w~!$&'()*+,=:@-]+(?:\/[\w~!$&'()*+,=:@-]+)*\/?$/;
// Encoded dot, slash or backslash; a double-encoded percent; a raw backslash; any control byte,
// raw or encoded (an encoded CR/LF or NUL has no business in a path and confuses some upstreams).
// eslint-disable-next-line no-control-regex -- control bytes are exactly what this refuses
const FORBIDDEN = /%2e|%2f|%5c|%25|%[01][0-9a-f]|%7f|\\|[\u0000-\u001f\u007f]/i;

/**
 * True when every `%` starts two hex digits and the bytes they encode are valid UTF-8: overlong forms
 * (`%c0%ae`, `%e0%80%ae`), encoded surrogates and IIS's `%u002e` are not, and some servers still
 * decode them into `.`, `/` or `\\`. decodeURIComponent applies exactly these rules.
 */
function isCleanlyEncoded(text: string): boolean {
  if (!text.includes("%")) return true;
  if (/%(?![0-9a-f]{2})/i.test(text)) return false;
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function reject(message: string): never {
  throw new ApiError(400, "bad_request", { message });
}

/** Resolves a raw request target (`req.url`) to its upstream; 400 for tricks, 404 for an unknown service. */
export function resolveUpstream(rawUrl: string, upstreams: ReadonlyMap<string, Upstream>): UpstreamTarget {
  if (!rawUrl.startsWith(GATEWAY_PREFIX)) reject("The request target must be a path under /api/.");
  const queryAt = rawUrl.indexOf("?");
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = queryAt === -1 ? "" : rawUrl.slice(queryAt);
  const plain = PLAIN_PATH.test(path);
  if (!plain) {
    if (FORBIDDEN.test(path)) reject("The path contains an encoded or forbidden character.");
    if (!isCleanlyEncoded(path)) reject("The path contains a percent-encoding that is not UTF-8.");
  }
  if (query !== "") {
    if (!isCleanlyEncoded(query)) reject("The query contains a percent-encoding that is not UTF-8.");
    // eslint-disable-next-line no-control-regex -- control bytes are exactly what this refuses
    if (/[\u0000-\u001f\u007f\s#]/.test(query)) reject("The query contains a forbidden character.");
  }

  const rest = path.slice(GATEWAY_PREFIX.length);
  const slash = rest.indexOf("/");
  const service = slash === -1 ? rest : rest.slice(0, slash);
  const tail = slash === -1 ? "" : rest.slice(slash);
  if (!service) throw new ApiError(404, "unknown_service");
  const upstream = upstreams.get(service);
  if (!upstream) throw new ApiError(404, "unknown_service");

  // Every segment after the service must be a plain name: no empty (`//host`), `.` or `..` segment.
  // Servlet containers (Tomcat, Jetty, Spring) cut a `;parameter` off each segment before they look
  // at it, so `..;` and `.;x` are `..` and `.` to them: the check applies to what is left.
  // (Only a `.`, a `;` or a `//` can make such a segment: a plain path has none and skips the walk.)
  if (!plain) {
    const segments = tail.slice(1).split("/");
    for (let index = 0; index < segments.length; index++) {
      const name = segments[index]!.split(";", 1)[0]!;
      if (name === "." || name === "..") reject("The path must not contain . or .. segments (path parameters included).");
      if (name === "" && index < segments.length - 1) reject("The path must not contain empty segments.");
    }
  }
  return { upstream, path: (`${upstream.basePath}${tail}` || "/") + query };
}
