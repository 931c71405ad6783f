// CORS for hosts on other origins: only exact allowed origins get credentials, never `*` or
// `null`, and every answer carries `Vary: Origin` so caches never mix origins. One function for
// the Express routes and the bare gateway handler alike.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { OriginPolicy } from "./csrf.js";
import { ApiError } from "./errors.js";

const AUTH_HEADERS = "Content-Type, X-CSRF";
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
/** Headers a host page may never make the gateway forward; a preflight asking for them is trimmed. */
const NEVER_ALLOWED = new Set(["cookie", "authorization", "refresh-token", "proxy-authorization"]);

function allowedRequestHeaders(req: IncomingMessage, gateway: boolean): string {
  if (!gateway) return AUTH_HEADERS;
  const requested = String(req.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter((h) => /^[a-z0-9-]+$/i.test(h) && !NEVER_ALLOWED.has(h.toLowerCase()));
  return requested.length > 0 ? requested.join(", ") : AUTH_HEADERS;
}

/**
 * Whether applyCors() has anything to decide for this request. Without an Origin header (a page's
 * request to its own origin) and outside a preflight, its whole answer is NO_ORIGIN_CORS_HEADERS, so
 * a hot path can put those in its fixed head instead.
 */
export const needsCors = (req: IncomingMessage): boolean => Boolean(req.headers.origin) || req.method === "OPTIONS";

/** The CORS headers of an answer to a request that needs no CORS (needsCors false), as a flat list. */
export const NO_ORIGIN_CORS_HEADERS: readonly string[] = ["Vary", "Origin"];

/**
 * Adds CORS headers for an allowed cross-origin caller. Answers a preflight itself and returns
 * true; throws 403 csrf_rejected for a preflight from an origin that is not allowed.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, policy: OriginPolicy, gateway: boolean): boolean {
  const vary = res.getHeader("Vary");
  if (!vary) res.setHeader("Vary", "Origin");
  else if (!/\borigin\b/i.test(String(vary))) res.setHeader("Vary", `${String(vary)}, Origin`);
  const origin = policy.corsOrigin(req);
  if (origin) {
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
  }
  if (req.method !== "OPTIONS") return false;
  if (req.headers.origin !== undefined && !origin && !policy.isAllowed(req.headers.origin, req)) {
    throw new ApiError(403, "csrf_rejected", { message: "This origin is not allowed." });
  }
  res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
  res.setHeader("Access-Control-Allow-Headers", allowedRequestHeaders(req, gateway));
  res.setHeader("Access-Control-Max-Age", "600");
  res.statusCode = 204;
  res.end();
  return true;
}

/** CORS for the /auth routes. */
export function corsMiddleware(policy: OriginPolicy): RequestHandler {
  return (req, res, next) => {
    if (!applyCors(req, res, policy, false)) next();
  };
}
