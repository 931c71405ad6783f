// CORS for hosts on other origins: only exact allowed origins get credentials, never `*` or
// `null`, and every answer carries `Vary: Origin` so caches never mix origins.
import type { RequestHandler } from "express";
import type { OriginPolicy } from "./csrf.js";
import { ApiError } from "./errors.js";

const AUTH_HEADERS = "Content-Type, X-CSRF";
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
/** Headers a host page may never make the gateway forward; a preflight asking for them is trimmed. */
const NEVER_ALLOWED = new Set(["cookie", "authorization", "refresh-token", "proxy-authorization"]);

export function corsMiddleware(policy: OriginPolicy, options: { gateway: boolean }): RequestHandler {
  return (req, res, next) => {
    res.vary("Origin");
    const origin = policy.corsOrigin(req);
    if (origin) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Access-Control-Allow-Credentials", "true");
    }
    if (req.method !== "OPTIONS") return next();
    if (req.headers.origin !== undefined && !origin && !policy.isAllowed(req.headers.origin, req)) {
      return next(new ApiError(403, "csrf_rejected", { message: "This origin is not allowed." }));
    }
    const requested = String(req.headers["access-control-request-headers"] ?? "");
    const headers = options.gateway
      ? requested
          .split(",")
          .map((h) => h.trim())
          .filter((h) => /^[a-z0-9-]+$/i.test(h) && !NEVER_ALLOWED.has(h.toLowerCase()))
          .join(", ") || AUTH_HEADERS
      : AUTH_HEADERS;
    res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
    res.setHeader("Access-Control-Allow-Headers", headers);
    res.setHeader("Access-Control-Max-Age", "600");
    res.setHeader("Cache-Control", "no-store");
    res.status(204).end();
  };
}
