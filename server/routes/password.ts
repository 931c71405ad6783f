// Passwords: `POST /auth/password-reset` (mail a reset link), `POST /auth/password-reset/confirm` (set a new password
// with the link's token, which signs in and ends every other session of the user), `POST /auth/password` (change it,
// signed in, with the current one).
// Threat model: asking for a link must not tell whether an account exists, by status, body, headers or timing: the
// answer is 202 `{}` at once, and the auth service is asked after, its failures logged, never shown. Tokens are
// guessed per address (rate limited); a reset, and a change unless asked otherwise, ends the user's other sessions
// on every instance (session/sessions.ts). Re-authentication counts on the login limits (http/rate-limit.ts).
import express from "express";
import { ApiError } from "../http/errors.js";
import { sessionBody } from "../session/sessions.js";
import type { ActiveSession } from "../session/record.js";
import { newPasswordViolations, readEmail, readFields, readToken } from "./account-input.js";
import type { RouteDeps } from "./auth-router.js";
import { csrfGuard, endSessionOnRejectedToken, featureGuard, methodNotAllowed, secureTransportGuard, signedIn } from "./guards.js";
import { linkRequest } from "./links.js";

export function passwordRoutes(deps: RouteDeps): express.Router {
  const { config, logger, sessions, authClient, originPolicy, contextOf, rateLimits, body } = deps;
  const router = express.Router();
  const csrf = csrfGuard(originPolicy);
  const reset = featureGuard(config.authFeatures, "password-reset");
  const change = featureGuard(config.authFeatures, "password-change");
  const secureTransport = secureTransportGuard(config.cookieSecure, contextOf);
  const validEmail: express.RequestHandler = (req, _res, next) => {
    readEmail(req.body);
    next();
  };

  router.post("/password-reset", reset, csrf, ...body, validEmail, ...rateLimits.mail, (req, res) => {
    const email = readEmail(req.body);
    const link = linkRequest(config, contextOf, req, "reset");
    // Not awaited: the answer must not wait for (or reveal) what the auth service does with an existing account.
    authClient.requestPasswordReset(email, link).catch((error: unknown) => {
      logger.warn(
        {
          event: "password_reset_request_failed",
          code: (error as ApiError).code,
          cause: ((error as ApiError).cause as Error | undefined)?.message,
        },
        "could not ask for a reset mail",
      );
    });
    res.status(202).json({});
  });
  router.all("/password-reset", reset, methodNotAllowed("POST"));

  router.post(
    "/password-reset/confirm",
    reset,
    csrf,
    secureTransport,
    ...body,
    ...rateLimits.tokens,
    sessions.middleware,
    async (req, res) => {
      const token = readToken(req.body, "reset_token_invalid");
      const { password } = readFields(req.body, ["password"]);
      const violations = newPasswordViolations("password", password);
      if (violations.length > 0) throw new ApiError(422, "validation_failed", { extra: { violations } });
      const owner = await authClient.inspectResetToken(token);
      await authClient.resetPassword(token, password);
      // The auth service revoked every refresh token of the user; their sessions end here, on every instance,
      // before the new one starts (so it alone survives).
      const ended = await sessions.endAllOf(owner.user.id, { revoke: false });
      const grant = await authClient.createRefreshToken(owner.email, password);
      const user = { id: grant.user.id, email: owner.email, ...(grant.verified !== undefined ? { emailVerified: grant.verified } : {}) };
      const expiresAt = await sessions.establish(req, grant, user);
      logger.info({ event: "password_reset", userId: grant.user.id, sessionsEnded: ended }, "password reset");
      res.status(200).json(sessionBody(req.session.user!, expiresAt));
    },
  );
  router.all("/password-reset/confirm", reset, methodNotAllowed("POST"));

  router.post("/password", change, csrf, ...body, signedIn(sessions), ...rateLimits.reauthentication, async (req, res) => {
    const session = res.locals.session as ActiveSession;
    const fields = readFields(req.body, ["currentPassword", "newPassword"], "signOutOthers");
    const signOutOthers = fields.flag !== false;
    const violations = newPasswordViolations("newPassword", fields.newPassword);
    if (violations.length > 0) throw new ApiError(422, "validation_failed", { extra: { violations } });
    if (fields.currentPassword === "") throw new ApiError(403, "invalid_credentials");
    // A session signed in through an OpenID Connect provider has no password here: the provider keeps it.
    if (session.oidc)
      throw new ApiError(400, "bad_request", {
        message: "This account signs in through its identity provider, which manages its password.",
      });
    await endSessionOnRejectedToken(sessions, session, res, () =>
      authClient.changePassword(session.userIri, sessions.tokens(session)?.refreshToken ?? "", {
        currentPassword: fields.currentPassword,
        newPassword: fields.newPassword,
        keepOtherTokens: !signOutOthers,
      }),
    );
    // The auth service revoked the other refresh tokens; their sessions end here, on every instance.
    const ended = signOutOthers ? await sessions.endAllOf(session.user.id, { except: session.sid, revoke: false }) : 0;
    logger.info({ event: "password_changed", userId: session.user.id, sessionsEnded: ended }, "password changed");
    res.status(204).end();
  });
  router.all("/password", change, methodNotAllowed("POST"));

  return router;
}
