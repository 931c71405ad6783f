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
export function requestHeadersFor(req: IncomingMessage, forwarded: ForwardedHeaders, connection: string | undefined): string[] {
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
 * undici's view of them: names in lower case, values the bytes as they came (latin1, which Node
 * writes back byte for byte), a repeated header as a list in its order. `extra` is the list that
 * is returned, extended in place (the caller makes one per answer).
 */
export function responseHeadersFrom(parsed: Record<string, string | string[] | undefined>, extra: string[]): string[] {
  const kept: string[] = extra;
  let varied = false;
  for (const name in parsed) {
    if (RESPONSE_HEADERS_DROPPED.has(name)) continue;
    const value = parsed[name];
    if (typeof value === "string") varied = keepHeader(kept, name, value, varied);
    else if (value !== undefined) for (const one of value) varied = keepHeader(kept, name, one, varied);
  }
  if (!varied) kept.push("vary", "Origin");
  return kept;
}

/** Adds one upstream header (`name` in lower case) to `kept`; the first Vary is made to name Origin. Returns whether a Vary has been kept. */
function keepHeader(kept: string[], name: string, value: string, varied: boolean): boolean {
  if (name === "vary" && !varied) {
    kept.push(name, /\borigin\b|\*/i.test(value) ? value : `${value}, Origin`);
    return true;
  }
  kept.push(name, value);
  return varied;
}
