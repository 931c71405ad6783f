// Which headers cross the gateway, each way.
// Threat model: the browser's credentials must never reach an upstream (its Cookie, its own
// Authorization, X-CSRF, REFRESH-TOKEN); hop-by-hop headers (RFC 9110 7.6.1, and whatever
// `Connection` names) stay on their hop; and every forwarding header a client sent (X-Forwarded-*,
// Forwarded, X-Real-IP and the like) is dropped, because an upstream may believe them: only the ones
// we vouch for, from the request context, are set. Upstream answers lose hop-by-hop headers and
// Set-Cookie (an upstream must never set cookies on our origin), and always vary on Origin.
import type { IncomingMessage } from "node:http";

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

const REQUEST_HEADERS_DROPPED = new Set([
  ...HOP_BY_HOP,
  "proxy-authorization",
  "host",
  "content-length", // set again from the checked length
  "expect", // answered by this server, never passed on
  // The browser's credentials.
  "cookie",
  "authorization",
  "x-csrf",
  "refresh-token",
  // Forwarding headers the client may have made up (every X-Forwarded-* is dropped too, below).
  "forwarded",
  "x-real-ip",
  "x-client-ip",
  "true-client-ip",
  "x-cluster-client-ip",
  "x-original-forwarded-for",
  "x-original-url",
  "x-original-uri",
  "x-rewrite-url",
]);

const RESPONSE_HEADERS_DROPPED = new Set([...HOP_BY_HOP, "set-cookie"]);

/** The forwarding headers we vouch for: the request context's view of the client. */
export interface ForwardedHeaders {
  jwt: string;
  /** The trusted chain plus the peer. */
  forwardedFor: string;
  forwardedProto: string;
  forwardedHost: string | undefined;
}

/** The headers sent upstream, as a flat [name, value, …] list (undici takes it without copying). */
export function requestHeadersFor(req: IncomingMessage, forwarded: ForwardedHeaders): string[] {
  const connection = req.headers.connection;
  const connectionListed = connection
    ? new Set(
        connection
          .toLowerCase()
          .split(",")
          .map((h) => h.trim()),
      )
    : undefined;
  const headers: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (REQUEST_HEADERS_DROPPED.has(name) || name.startsWith("x-forwarded-") || connectionListed?.has(name)) continue;
    headers.push(name, raw[i + 1]!);
  }
  headers.push(
    "authorization",
    `Bearer ${forwarded.jwt}`,
    "x-forwarded-for",
    forwarded.forwardedFor,
    "x-forwarded-proto",
    forwarded.forwardedProto,
  );
  if (forwarded.forwardedHost) headers.push("x-forwarded-host", forwarded.forwardedHost);
  return headers;
}

/**
 * The answer's headers: the upstream's (its caching headers apply), minus the dropped ones, plus
 * `extra` (CORS), with Origin added to Vary; as a flat list for one raw writeHead. `parsed` is
 * undici's view of them (names in lower case, values decoded as UTF-8), used as it is when every
 * value is ASCII; otherwise the bytes of `raw` are passed on as they came (latin1 both ways).
 */
export function responseHeadersFrom(
  parsed: Record<string, string | string[] | undefined>,
  raw: ReadonlyArray<Buffer | string> | undefined,
  extra: string[],
): string[] {
  const kept: string[] = [...extra];
  let varied = false;
  if (raw && !asciiOnly(parsed)) {
    for (let i = 0; i < raw.length; i += 2) {
      varied = keepHeader(kept, raw[i]!.toString("latin1"), raw[i + 1]!.toString("latin1"), varied);
    }
  } else {
    for (const name in parsed) {
      const value = parsed[name];
      if (typeof value === "string") varied = keepHeader(kept, name, value, varied);
      else if (value !== undefined) for (const one of value) varied = keepHeader(kept, name, one, varied);
    }
  }
  if (!varied) kept.push("Vary", "Origin");
  return kept;
}

// eslint-disable-next-line no-control-regex -- the ASCII range, control bytes included
const NOT_ASCII = /[^\u0000-\u007f]/;

/** Whether every value of `parsed` is ASCII (so its UTF-8 decoding is the bytes as they came). */
function asciiOnly(parsed: Record<string, string | string[] | undefined>): boolean {
  for (const name in parsed) {
    const value = parsed[name];
    if (typeof value === "string" ? NOT_ASCII.test(value) : value?.some((one) => NOT_ASCII.test(one))) return false;
  }
  return true;
}

/**
 * Adds one upstream header to `kept`, unless it is dropped; the first Vary (`varied` false) is made
 * to name Origin. Returns whether a Vary has been kept so far.
 */
function keepHeader(kept: string[], name: string, value: string, varied: boolean): boolean {
  const lower = name.toLowerCase();
  if (RESPONSE_HEADERS_DROPPED.has(lower)) return varied;
  if (lower === "vary" && !varied) {
    kept.push(name, /\borigin\b|\*/i.test(value) ? value : `${value}, Origin`);
    return true;
  }
  kept.push(name, value);
  return varied;
}
