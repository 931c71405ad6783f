// Signing in and out: `POST /auth/signup`, `POST /auth/login`, `POST /auth/logout`. Bodies,
// statuses and error codes are the contract in design.md; sessions are made and ended only through
// the seam in session/sessions.ts. With e-mail verification on, a signup asks the auth service to
// mail a link; with it required, a signup signs nobody in and stores nothing, and a login of an
// unverified account (right password only) answers 403 email_not_verified. `signIn` is the one path from
// a verified credential to a session, shared with the passkey login (passkeys.ts).
import express, { type Request, type RequestHandler, type Response } from "express";
import type { RefreshTokenGrant } from "../auth-client/client.js";
import { ApiError } from "../http/errors.js";
import type { Metrics } from "../ops/metrics.js";
import type { SessionUser } from "../session/record.js";
import { sessionBody } from "../session/sessions.js";
import type { RouteDeps } from "./auth-router.js";
import { readCredentials } from "./credentials.js";
import { csrfGuard, methodNotAllowed, secureTransportGuard } from "./guards.js";
import { linkRequest } from "./links.js";
import { endSessionLink } from "./oidc.js";

/** The session's user from a login answer: `emailVerified` only when the auth service said. */
function sessionUser(grant: RefreshTokenGrant, email: string): SessionUser {
  return { id: grant.user.id, email, ...(grant.verified !== undefined ? { emailVerified: grant.verified } : {}) };
}

/** Counts every login answer by what the user got: signed in, refused credentials, or held back. */
export function loginCounter(metrics: Metrics): RequestHandler {
  return (_req, res, next) => {
    res.once("finish", () => {
      const result =
        res.statusCode === 200 ? "ok" : res.statusCode === 401 ? "failed" : res.statusCode === 429 ? "rate_limited" : undefined;
      if (result) metrics.login(result);
    });
    next();
  };
}

/** How a sign-in by credential proved who it is; `email` is the account's address, when the credential names it. */
export type Credential = { method: "password"; email: string } | { method: "passkey" };

/**
 * The one path of every sign-in by credential (a password, a passkey), after the CSRF, body and rate-limit guards and
 * express-session have run: the auth service's grant becomes a new session (regenerated id, the record stored and
 * indexed under the user, a replaced session ended: sessions.establish), both outcomes are logged alike, and the
 * answer is the session body. `obtain` asks the auth service (it throws ApiError invalid_credentials on a refusal).
 */
export async function signIn(
  deps: Pick<RouteDeps, "logger" | "sessions" | "authClient">,
  req: Request,
  res: Response,
  credential: Credential,
  obtain: () => Promise<RefreshTokenGrant>,
): Promise<void> {
  const { logger, sessions, authClient } = deps;
  const method = credential.method;
  let grant: RefreshTokenGrant;
  try {
    grant = await obtain();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) logger.info({ event: "login_failed", method }, "login failed");
    if (error instanceof ApiError && error.code === "email_not_verified")
      logger.info({ event: "login_unverified", method }, "login refused: not verified");
    throw error;
  }
  let email = credential.method === "password" ? credential.email : grant.email;
  if (email === undefined) {
    // A passkey names no address: an auth service that does not put it in the login answer has it on the user.
    try {
      email = (await authClient.fetchJwt(grant.user.iri, grant.token)).email;
    } catch (error) {
      await authClient.revokeRefreshToken(grant.iri, grant.token).catch(() => undefined);
      throw error instanceof ApiError ? error : new ApiError(502, "auth_unavailable", { cause: error });
    }
    if (email === undefined) {
      await authClient.revokeRefreshToken(grant.iri, grant.token).catch(() => undefined);
      throw new ApiError(502, "auth_unavailable", { cause: new Error("the auth service named no e-mail for a passkey sign-in") });
    }
  }
  const expiresAt = await sessions.establish(req, grant, sessionUser(grant, email));
  logger.info({ event: "login_ok", method, userId: grant.user.id }, "login");
  res.status(200).json(sessionBody(req.session.user!, expiresAt));
}

export function sessionRoutes(deps: RouteDeps): express.Router {
  const { config, logger, sessions, authClient, originPolicy, contextOf, rateLimits, body, metrics } = deps;
  const router = express.Router();
  const csrf = csrfGuard(originPolicy);
  const secureTransport = secureTransportGuard(config.cookieSecure, contextOf);
  const countLogin = loginCounter(metrics);

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
    await signIn(deps, req, res, { method: "password", email }, () => authClient.createRefreshToken(email, password));
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
