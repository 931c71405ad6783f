// Small request guards shared by the /auth routes: the CSRF/origin check, the HTTPS requirement for
// sign-in with Secure cookies, the signed-in requirement, a feature the auth service must offer
// (AUTH_FEATURES), the 405 answer with its Allow header, and what a refused refresh token does to
// the session that presented it.
import type { RequestHandler, Response } from "express";
import { RefreshTokenRejected } from "../auth-client/client.js";
import type { ActiveSession } from "../session/record.js";
import type { AuthFeature } from "../config.js";
import type { Sessions } from "../session/sessions.js";
import type { OriginPolicy } from "../http/csrf.js";
import { ApiError } from "../http/errors.js";
import type { ContextOf } from "../http/request-context.js";

export function csrfGuard(originPolicy: OriginPolicy): RequestHandler {
  return (req, _res, next) => {
    originPolicy.check(req);
    next();
  };
}

/**
 * With Secure cookies on (COOKIE_SECURE, production), express-session will not send the cookie on
 * a request that did not come over HTTPS, so a login there would leave a session, and a live
 * refresh token, that nobody can reach. Refuse it up front, before the auth service is asked.
 */
export function secureTransportGuard(cookieSecure: boolean, contextOf: ContextOf): RequestHandler {
  return (req, _res, next) => {
    if (cookieSecure && contextOf(req).scheme !== "https") {
      return next(
        new ApiError(400, "bad_request", {
          message: "Sign-in needs HTTPS here (Secure cookies are on). Behind a TLS proxy, set TRUST_PROXY.",
        }),
      );
    }
    next();
  };
}

export function methodNotAllowed(allow: string): RequestHandler {
  return (_req, res, next) => {
    res.setHeader("Allow", allow);
    next(new ApiError(405, "method_not_allowed"));
  };
}

/** 404 not_found, as for a route that does not exist, when the auth service does not offer `feature`. */
export function featureGuard(features: ReadonlySet<AuthFeature>, feature: AuthFeature): RequestHandler {
  return (_req, _res, next) => next(features.has(feature) ? undefined : new ApiError(404, "not_found"));
}

/** 401 unauthenticated unless the request's session is signed in; the session goes to `res.locals.session`. */
export function signedIn(sessions: Sessions): RequestHandler {
  return (req, res, next) => {
    sessions.load(req).then((session) => {
      if (!session) return next(new ApiError(401, "unauthenticated"));
      res.locals.session = session;
      next();
    }, next);
  };
}

/**
 * Runs `call`, an auth-service call with the session's refresh token; when the auth service no longer takes that token
 * (RefreshTokenRejected), the session ends here (its cookie cleared) and the answer is 401 session_expired.
 */
export async function endSessionOnRejectedToken<T>(
  sessions: Sessions,
  session: ActiveSession,
  res: Response,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof RefreshTokenRejected)) throw error;
    await sessions.end(session.sid, session, { revoke: false });
    sessions.clearCookie(res);
    throw new ApiError(401, "session_expired");
  }
}
