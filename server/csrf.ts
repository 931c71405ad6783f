// Cross-site request forgery and cross-origin checks for the session server's own routes and the
// gateway. Threat model: a page on another site makes the browser send our SameSite cookie-bearing
// request (SameSite=Strict already blocks most of it; this is the second wall). Every unsafe method
// and every /api call must carry `X-CSRF: 1`, which a cross-site form or a simple request cannot
// add without a CORS preflight that we only grant to exact allowed origins; and a request whose
// Origin (or, without one, Sec-Fetch-Site) names another site is refused outright.
import type { IncomingMessage } from "node:http";
import { ApiError } from "./errors.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isSafeMethod(method: string | undefined): boolean {
  return SAFE_METHODS.has(method ?? "GET");
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.split(",")[0]?.trim() || undefined;
}

/** The scheme the client used: the socket's, or behind a trusted proxy its X-Forwarded-Proto. */
export function requestProto(req: IncomingMessage, trustProxy: boolean): "http" | "https" {
  const forwarded = trustProxy ? firstHeader(req.headers["x-forwarded-proto"])?.toLowerCase() : undefined;
  if (forwarded === "https" || forwarded === "http") return forwarded;
  return (req.socket as { encrypted?: boolean }).encrypted === true ? "https" : "http";
}

/** The origin this request was addressed to, as its Host (and, behind a trusted proxy, X-Forwarded-*) shows it. */
export function requestOrigin(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const proto = requestProto(req, trustProxy);
  const host = (trustProxy && firstHeader(req.headers["x-forwarded-host"])) || req.headers.host;
  if (!host) return undefined;
  // The common case needs no parsing: a lowercase host with an explicit or no port.
  if (/^[a-z0-9.-]+(:\d{1,5})?$/.test(host)) {
    const defaultPort = proto === "https" ? ":443" : ":80";
    return `${proto}://${host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host}`;
  }
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return undefined;
  }
}

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    allowedOrigins: readonly string[],
    private readonly trustProxy: boolean,
  ) {
    this.allowed = new Set(allowedOrigins);
  }

  /** Exact allowed origins, plus the server's own origin (a same-origin request is never cross-site). */
  isAllowed(origin: string, req: IncomingMessage): boolean {
    if (this.allowed.has(origin)) return true;
    return origin === requestOrigin(req, this.trustProxy);
  }

  /** An origin that may receive CORS headers: allowed and not the server's own. */
  corsOrigin(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (!origin || origin === "null" || !this.allowed.has(origin)) return undefined;
    return origin === requestOrigin(req, this.trustProxy) ? undefined : origin;
  }

  /**
   * Throws 403 csrf_rejected unless the request may change state (or reach the gateway):
   * `X-CSRF: 1`, and an Origin that is allowed (without Origin: Sec-Fetch-Site not cross-site).
   */
  check(req: IncomingMessage): void {
    if (req.headers["x-csrf"] !== "1") {
      throw new ApiError(403, "csrf_rejected", { message: "The X-CSRF: 1 header is required." });
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (origin === "null" || !this.isAllowed(origin, req)) {
        throw new ApiError(403, "csrf_rejected", { message: "This origin is not allowed." });
      }
      return;
    }
    const site = req.headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site") {
      throw new ApiError(403, "csrf_rejected", { message: "Cross-site requests are not allowed." });
    }
  }
}
