// E-mail verification: `POST /auth/email-verification` (spend the link's token; every session of that user shows
// `user.emailVerified: true` at once) and `POST /auth/email-verification/resend` (mail a new link).
// Threat model: resend must not tell whether an account exists (202 `{}` at once, the auth service asked after,
// its failures logged); refused tokens are rate limited per address.
import express from "express";
import type { ApiError } from "../http/errors.js";
import { readEmail, readToken } from "./account-input.js";
import type { RouteDeps } from "./auth-router.js";
import { csrfGuard, featureGuard, methodNotAllowed } from "./guards.js";
import { linkRequest } from "./links.js";

export function emailVerificationRoutes(deps: RouteDeps): express.Router {
  const { config, logger, sessions, authClient, originPolicy, contextOf, rateLimits, body } = deps;
  const router = express.Router();
  const csrf = csrfGuard(originPolicy);
  const feature = featureGuard(config.authFeatures, "email-verification");
  const validEmail: express.RequestHandler = (req, _res, next) => {
    readEmail(req.body);
    next();
  };

  router.post("/email-verification", feature, csrf, ...body, ...rateLimits.tokens, async (req, res) => {
    const token = readToken(req.body, "verification_token_invalid");
    const { user } = await authClient.verifyEmail(token);
    await sessions.setEmailVerified(user.id, true);
    logger.info({ event: "email_verified", userId: user.id }, "e-mail address verified");
    res.status(200).json({ verified: true });
  });
  router.all("/email-verification", feature, methodNotAllowed("POST"));

  router.post("/email-verification/resend", feature, csrf, ...body, validEmail, ...rateLimits.mail, (req, res) => {
    const email = readEmail(req.body);
    const link = linkRequest(config, contextOf, req, "verify");
    authClient.requestVerificationMail(email, link).catch((error: unknown) => {
      logger.warn(
        {
          event: "verification_request_failed",
          code: (error as ApiError).code,
          cause: ((error as ApiError).cause as Error | undefined)?.message,
        },
        "could not ask for a verification mail",
      );
    });
    res.status(202).json({});
  });
  router.all("/email-verification/resend", feature, methodNotAllowed("POST"));

  return router;
}
