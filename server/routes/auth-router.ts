// The session server's own API under AUTH_PREFIX (default /auth): CORS for allowed hosts, then one
// router per concern (the session check, what is offered, signing in and out, passwords, e-mail
// verification, a user's sessions, passkeys, OIDC providers). What no route
// takes falls through to the app's one not-found answer; errors go to the app's one error exit.
import express, { type RequestHandler } from "express";
import type { AuthServiceClient } from "../auth-client/client.js";
import type { Config } from "../config.js";
import { corsMiddleware } from "../http/cors.js";
import type { OriginPolicy } from "../http/csrf.js";
import type { ContextOf } from "../http/request-context.js";
import type { RateLimits } from "../http/rate-limit.js";
import type { Logger } from "../ops/logger.js";
import type { Metrics } from "../ops/metrics.js";
import type { BrowserBoundEntries } from "../session/browser-bound.js";
import type { Sessions } from "../session/sessions.js";
import { methodNotAllowed } from "./guards.js";
import { oidcRoutes, type OidcDeps } from "./oidc.js";
import type { SessionCheck } from "./session-check.js";
import { configRoutes } from "./config.js";
import { emailVerificationRoutes } from "./email-verification.js";
import { passkeyRoutes } from "./passkeys.js";
import { passwordRoutes } from "./password.js";
import { sessionRoutes } from "./session.js";
import { sessionsRoutes } from "./sessions.js";

export interface RouteDeps {
  config: Config;
  logger: Logger;
  sessions: Sessions;
  authClient: AuthServiceClient;
  originPolicy: OriginPolicy;
  contextOf: ContextOf;
  rateLimits: RateLimits;
  /** The JSON body parser of the /auth routes (json-body.ts), with the configured limit. */
  body: RequestHandler[];
  /** GET /session, shared with the fast path in app.ts. */
  sessionCheck: SessionCheck;
  /** Sign-in with OpenID Connect providers (routes/oidc.ts). */
  oidc: OidcDeps;
  metrics: Metrics;
  /** Passkey sign-in challenges, bound to the browser that asked (routes/passkeys.ts). */
  passkeyChallenges: BrowserBoundEntries;
}

export function authRouter(deps: RouteDeps): express.Router {
  const router = express.Router();
  router.use(corsMiddleware(deps.originPolicy));
  router.get("/session", (req, res) => deps.sessionCheck(req, res));
  router.all("/session", methodNotAllowed("GET, HEAD"));
  router.use(configRoutes(deps));
  router.use(sessionRoutes(deps));
  router.use(passwordRoutes(deps));
  router.use(emailVerificationRoutes(deps));
  router.use(sessionsRoutes(deps));
  router.use(passkeyRoutes(deps));
  router.use(oidcRoutes(deps));
  return router;
}
