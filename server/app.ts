// Assembles the session server: security headers, health, the /auth API and (when configured) the
// gateway, ending in one not-found answer and one error handler that writes the shared error shape.
import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler } from "express";
import type { AuthServiceClient } from "./auth-client.js";
import type { Config } from "./config.js";
import { corsMiddleware } from "./cors.js";
import { OriginPolicy } from "./csrf.js";
import { ApiError, toApiError, writeError } from "./errors.js";
import { createGateway, type Gateway } from "./gateway/gateway.js";
import { JwtProvider } from "./gateway/jwt-provider.js";
import type { Logger } from "./logger.js";
import { createRateLimits } from "./rate-limit.js";
import { authRoutes } from "./routes/auth-routes.js";
import { healthRoutes } from "./routes/health.js";
import { securityHeaderList, securityHeaders } from "./security-headers.js";
import { createSessionCheck } from "./routes/session-check.js";
import type { SessionBackend } from "./session-backend.js";
import { createSessionMiddleware, SessionReader, sessionLimits } from "./session.js";

export interface AppDeps {
  config: Config;
  logger: Logger;
  backend: SessionBackend;
  authClient: AuthServiceClient;
}

export interface SessionServerApp {
  /** The request listener: the gateway for /api/*, Express for everything else. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  app: express.Express;
  gateway: Gateway;
  jwtProvider: JwtProvider;
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
  }, logger);

  const headers = securityHeaderList({ https: config.cookieSecure });
  const sessionCheck = createSessionCheck({ reader, originPolicy, headers, logger });
  const sessionCheckPath = `${config.authPrefix}/session`;

  const jwtProvider = new JwtProvider({
    kv: backend.kv,
    authClient,
    leaseMs: config.authTimeoutMs + 1_000,
    waitMs: config.authTimeoutMs + 2_000,
  });
  /** Ends a session everywhere: the store key, its JWT, its entry in the user's index. */
  async function endSession(sid: string, userId: string): Promise<void> {
    await backend.destroy(sid);
    await Promise.all([jwtProvider.forget(sid), backend.kv.removeFromSet(`user-sessions:${userId}`, sid)]);
  }
  const gateway = createGateway({
    config,
    logger,
    backend,
    reader,
    originPolicy,
    jwtProvider,
    endSession: (session) => endSession(session.sid, session.user.id),
    headers,
  });

  app.use(securityHeaders(headers));
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
      endSession,
      sessionCheck,
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
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    // The gateway also takes every target that is not a plain path (absolute-form `http://…`, `*`):
    // its path check refuses those with 400 before anything else happens.
    if (req.url === undefined || req.url.startsWith("/api/") || !req.url.startsWith("/")) gateway.handle(req, res);
    else if (req.method === "GET" && req.url === sessionCheckPath) void sessionCheck(req, res);
    else app(req, res);
  };
  return { handler, app, gateway, jwtProvider, reader, originPolicy };
}
