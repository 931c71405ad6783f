// Signing in and out: `POST /auth/signup`, `POST /auth/login`, `POST /auth/logout`. Bodies,
// statuses and error codes are the contract in design.md; sessions are made and ended only through
// the seam in session/sessions.ts. With e-mail verification on, a signup asks the auth service to
// mail a link; with it required, a signup signs nobody in and stores nothing, and a login of an
// unverified account (right password only) answers 403 email_not_verified.
import express, { type RequestHandler } from "express";
import type { RefreshTokenGrant } from "../auth-client/client.js";
import { ApiError } from "../http/errors.js";
import type { SessionUser } from "../session/record.js";
import { sessionBody } from "../session/sessions.js";
import type { RouteDeps } from "./auth-router.js";
import { readCredentials } from "./credentials.js";
import { csrfGuard, methodNotAllowed, secureTransportGuard } from "./guards.js";
import { linkRequest } from "./links.js";

/** The session's user from a login answer: `emailVerified` only when the auth service said. */
function sessionUser(grant: RefreshTokenGrant, email: string): SessionUser {
  return { id: grant.user.id, email, ...(grant.verified !== undefined ? { emailVerified: grant.verified } : {}) };
}
import { endSessionLink } from "./oidc.js";

export function sessionRoutes(deps: RouteDeps): express.Router {
  const { config, logger, sessions, authClient, originPolicy, contextOf, rateLimits, body, metrics } = deps;
  const router = express.Router();
  const csrf = csrfGuard(originPolicy);
  const secureTransport = secureTransportGuard(config.cookieSecure, contextOf);
  // Counts every login answer by what the user got: signed in, refused credentials, or held back.
  const countLogin: RequestHandler = (_req, res, next) => {
    res.once("finish", () => {
      const result =
        res.statusCode === 200 ? "ok" : res.statusCode === 401 ? "failed" : res.statusCode === 429 ? "rate_limited" : undefined;
      if (result) metrics.login(result);
    });
    next();
  };

  router.post("/signup", csrf, secureTransport, ...body, ...rateLimits.signup, sessions.middleware, async (req, res) => {
    const { email, password } = readCredentials(req.body, "signup");
    const verify = config.emailVerification !== "off" ? linkRequest(config, contextOf, req, "verify") : undefined;
    const user = await authClient.signup(email, password, verify);
    if (config.emailVerification === "required") {
      logger.info({ event: "signup_ok", userId: user.id, verificationRequired: true }, "signup");
      res.status(201).json({ authenticated: false, verificationRequired: true });
      return;
    }
    const grant = await authClient.createRefreshToken(email, password);
    const expiresAt = await sessions.establish(req, grant, sessionUser(grant, email));
    logger.info({ event: "signup_ok", userId: user.id }, "signup");
    res.status(201).json(sessionBody(req.session.user!, expiresAt));
  });
  router.all("/signup", methodNotAllowed("POST"));

  router.post("/login", countLogin, csrf, secureTransport, ...body, ...rateLimits.login, sessions.middleware, async (req, res) => {
    const { email, password } = readCredentials(req.body, "login");
    let grant: RefreshTokenGrant;
    try {
      grant = await authClient.createRefreshToken(email, password);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) logger.info({ event: "login_failed" }, "login failed");
      if (error instanceof ApiError && error.code === "email_not_verified")
        logger.info({ event: "login_unverified" }, "login refused: not verified");
      throw error;
    }
    const expiresAt = await sessions.establish(req, grant, sessionUser(grant, email));
    logger.info({ event: "login_ok", userId: grant.user.id }, "login");
    res.status(200).json(sessionBody(req.session.user!, expiresAt));
  });
  router.all("/login", methodNotAllowed("POST"));

  router.post("/logout", csrf, ...body, async (req, res) => {
    const keys = sessions.keysOf(req);
    let logoutUrl: string | undefined;
    if (keys !== null) {
      const sid = keys.storeKey;
      const record = await sessions.readOwn(keys);
      // A provider session also signs out at the provider: the browser goes there next (RP-initiated logout).
      if (record?.oidc) logoutUrl = await endSessionLink(deps, req, res, { ...record, sid });
      await sessions.end(sid, record);
      if (record) logger.info({ event: "logout", userId: record.user.id }, "logout");
    }
    sessions.clearCookie(res);
    if (logoutUrl) res.status(200).json({ logoutUrl });
    else res.status(204).end();
  });
  router.all("/logout", methodNotAllowed("POST"));

  return router;
}
