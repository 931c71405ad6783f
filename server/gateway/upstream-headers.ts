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
 * `extra` (CORS), with Origin added to Vary; as a flat list for one raw writeHead.
 */
export function responseHeadersFrom(
  upstream: ReadonlyArray<Buffer | string> | Record<string, string | string[] | undefined>,
  extra: string[],
): string[] {
  const kept: string[] = [...extra];
  let varied = false;
  const keep = (name: string, value: string): void => {
    const lower = name.toLowerCase();
    if (RESPONSE_HEADERS_DROPPED.has(lower)) return;
    if (lower === "vary" && !varied) {
      varied = true;
      if (!/\borigin\b|\*/i.test(value)) value = `${value}, Origin`;
    }
    kept.push(name, value);
  };
  if (Array.isArray(upstream)) {
    for (let i = 0; i < upstream.length; i += 2) keep(upstream[i]!.toString("latin1"), upstream[i + 1]!.toString("latin1"));
  } else {
    for (const [name, value] of Object.entries(upstream)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) keep(name, one);
    }
  }
  if (!varied) kept.push("Vary", "Origin");
  return kept;
}
