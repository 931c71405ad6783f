// Assembles the session server: security headers, health, the /auth API and (when configured) the
// gateway, ending in one not-found answer and one error handler that writes the shared error shape.
import express, { type ErrorRequestHandler } from "express";
import type { AuthServiceClient } from "./auth-client.js";
import type { Config } from "./config.js";
import { corsMiddleware } from "./cors.js";
import { OriginPolicy } from "./csrf.js";
import { ApiError, toApiError, writeError } from "./errors.js";
import type { Logger } from "./logger.js";
import { createRateLimits } from "./rate-limit.js";
import { authRoutes } from "./routes/auth-routes.js";
import { healthRoutes } from "./routes/health.js";
import { securityHeaders } from "./security-headers.js";
import type { SessionBackend } from "./session-backend.js";
import { createSessionMiddleware, SessionReader, sessionLimits } from "./session.js";

export interface AppDeps {
  config: Config;
  logger: Logger;
  backend: SessionBackend;
  authClient: AuthServiceClient;
}

export interface SessionServerApp {
  app: express.Express;
  reader: SessionReader;
  originPolicy: OriginPolicy;
}

export function createApp(deps: AppDeps): SessionServerApp {
  const { config, logger, backend, authClient } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("trust proxy", config.trustProxy ?? false);

  const limits = sessionLimits(config);
  const reader = new SessionReader(backend, config.cookieName, config.sessionSecrets, limits);
  const originPolicy = new OriginPolicy(config.allowedOrigins, config.trustProxy !== undefined && config.trustProxy !== false);
  const rateLimits = createRateLimits(backend.kv, {
    windowMs: config.rateLimitWindowMs,
    failuresPerAccount: config.loginFailuresPerAccount,
    failuresPerAddress: config.loginFailuresPerAddress,
  });

  app.use(securityHeaders({ https: config.cookieSecure }));
  app.use(healthRoutes(backend, authClient));
  app.use(
    config.authPrefix,
    corsMiddleware(originPolicy, { gateway: false }),
    authRoutes({
      config,
      logger,
      backend,
      reader,
      authClient,
      originPolicy,
      sessionMiddleware: createSessionMiddleware(config, backend),
      rateLimits,
      limits,
      onSessionEnded: async (sid, userId) => {
        await backend.kv.removeFromSet(`user-sessions:${userId}`, sid);
      },
    }),
  );

  app.use((_req, _res, next) => next(new ApiError(404, "not_found")));
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      const cause = apiError.cause ?? error;
      logger.error(
        { event: "request_failed", code: apiError.code, method: req.method, path: req.path, cause: (cause as Error)?.message },
        "request failed",
      );
    }
    writeError(res, apiError);
  };
  app.use(onError);
  return { app, reader, originPolicy };
}
