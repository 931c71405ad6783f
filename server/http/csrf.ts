// Cross-site request forgery and cross-origin checks for the session server's own routes and the
// gateway. Threat model: a page on another site makes the browser send our SameSite cookie-bearing
// request (SameSite=Strict already blocks most of it; this is the second wall). Every unsafe method
// and every /api call must carry `X-CSRF: 1`, which a cross-site form or a simple request cannot
// add without a CORS preflight that we only grant to exact allowed origins; and a request whose
// Origin (or, without one, Sec-Fetch-Site) names another site is refused outright. The server's own
// origin is the one the request context gives (TRUST_PROXY decides whether X-Forwarded-* count).
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { ApiError } from "./errors.js";
import type { ContextOf } from "./request-context.js";

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    allowedOrigins: readonly string[],
    private readonly contextOf: ContextOf,
  ) {
    this.allowed = new Set(allowedOrigins);
  }

  /** Exact allowed origins, plus the server's own origin (a same-origin request is never cross-site). */
  isAllowed(origin: string, req: IncomingMessage): boolean {
    if (this.allowed.has(origin)) return true;
    return origin === this.contextOf(req).origin;
  }

  /** An origin that may receive CORS headers: allowed and not the server's own. */
  corsOrigin(req: IncomingMessage, headers: IncomingHttpHeaders = req.headers): string | undefined {
    const origin = headers.origin;
    if (!origin || origin === "null" || !this.allowed.has(origin)) return undefined;
    return origin === this.contextOf(req).origin ? undefined : origin;
  }

  /**
   * Throws 403 csrf_rejected unless the request may change state (or reach the gateway):
   * `X-CSRF: 1`, and an Origin that is allowed (without Origin: Sec-Fetch-Site not cross-site).
   */
  check(req: IncomingMessage, headers: IncomingHttpHeaders = req.headers): void {
    if (headers["x-csrf"] !== "1") {
      throw new ApiError(403, "csrf_rejected", { message: "The X-CSRF: 1 header is required." });
    }
    const origin = headers.origin;
    if (origin !== undefined) {
      if (origin === "null" || !this.isAllowed(origin, req)) {
        throw new ApiError(403, "csrf_rejected", { message: "This origin is not allowed." });
      }
      return;
    }
    const site = headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site") {
      throw new ApiError(403, "csrf_rejected", { message: "Cross-site requests are not allowed." });
    }
  }
}
