// Assembles the session server's request listener: the hot paths (the session check and the
// gateway) served before Express's router, then Express with the security headers, health and
// readiness, and the /auth API, ending in the one not-found answer and the one error exit.
import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler } from "express";
import type { AuthServiceClient } from "./auth-client/client.js";
import type { OidcClients } from "./auth-client/oidc.js";
import type { Config } from "./config.js";
import { createGateway, type Gateway } from "./gateway/gateway.js";
import { JwtProvider } from "./gateway/jwt-provider.js";
import { tokenSource } from "./gateway/token-sources.js";
import { OriginPolicy } from "./http/csrf.js";
import { ApiError, type ErrorExit } from "./http/errors.js";
import { jsonBody } from "./http/json-body.js";
import { createRateLimits } from "./http/rate-limit.js";
import { contextReader, type TrustFunction } from "./http/request-context.js";
import { securityHeaders, type HeaderList } from "./http/security-headers.js";
import { healthRoutes } from "./ops/health.js";
import type { Logger } from "./ops/logger.js";
import type { Lifecycle } from "./ops/shutdown.js";
import { authRouter } from "./routes/auth-router.js";
import { createSessionCheck } from "./routes/session-check.js";
import type { SessionBackend } from "./session/backend.js";
import { BrowserBoundEntries } from "./session/browser-bound.js";
import { sessionLimits } from "./session/lifetime.js";
import { ProviderTokenStore } from "./session/provider-tokens.js";
import { Sessions } from "./session/sessions.js";

export interface AppDeps {
  config: Config;
  logger: Logger;
  backend: SessionBackend;
  authClient: AuthServiceClient;
  /** The OIDC providers of OIDC_PROVIDERS (none configured: an empty one). */
  oidc: OidcClients;
  lifecycle: Lifecycle;
  /** The one error exit, and the security headers of every answer of our own. */
  errors: ErrorExit;
  headers: HeaderList;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface SessionServerApp {
  /** The request listener. */
  handler: Listener;
  /** Node's `checkContinue`: a request with `Expect: 100-continue`. */
  onExpectContinue: Listener;
  /** Node's `checkExpectation`: any other Expect value, answered 417. */
  onOtherExpectation: Listener;
  gateway: Gateway;
  jwtProvider: JwtProvider;
}

export function createApp(deps: AppDeps): SessionServerApp {
  const { config, logger, backend, authClient, oidc, lifecycle, errors, headers } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("trust proxy", config.trustProxy ?? false);
  // Express's own compiled trust function: the request context applies TRUST_PROXY exactly as
  // req.ip, req.protocol and req.secure do, on every path.
  const contextOf = contextReader(app.get("trust proxy fn") as TrustFunction);

  const originPolicy = new OriginPolicy(config.allowedOrigins, contextOf);
  const providerTokens = new ProviderTokenStore(backend.kv, config.sessionAbsoluteTimeoutMs);
  const sessions = new Sessions({
    config,
    backend,
    limits: sessionLimits(config),
    authClient,
    logger,
    oidc: { clients: oidc, tokens: providerTokens },
  });
  const jwtProvider = new JwtProvider({
    kv: backend.kv,
    source: tokenSource({ authClient, oidc, providerTokens }),
    leaseMs: config.authTimeoutMs + 1_000,
    waitMs: config.authTimeoutMs + 2_000,
    // Once per JWT fetch at most, and only when it changed: no store write per request.
    onEmailVerified: (session, verified) =>
      session.user ? sessions.setEmailVerified(session.user.id, verified, session.sid) : Promise.resolve(),
  });
  sessions.onEnd((sid) => jwtProvider.forget(sid));
  sessions.onEnd((sid) => providerTokens.forget(sid));
  const rateLimits = createRateLimits(
    backend.kv,
    {
      windowMs: config.rateLimitWindowMs,
      failuresPerAccount: config.loginFailuresPerAccount,
      failuresPerAddress: config.loginFailuresPerAddress,
      mailRequestsPerAccount: config.mailRequestsPerAccount,
    },
    logger,
    contextOf,
  );
  const sessionCheck = createSessionCheck({ sessions, originPolicy, headers, errors });
  const gateway = createGateway({ config, logger, sessions, originPolicy, contextOf, jwtProvider, errors, headers });

  app.use(securityHeaders(headers));
  app.use(healthRoutes({ backend, authClient, lifecycle, errors }));
  app.use(
    config.authPrefix,
    authRouter({
      config,
      logger,
      sessions,
      authClient,
      originPolicy,
      contextOf,
      rateLimits,
      body: jsonBody(config.bodyLimitBytes),
      sessionCheck,
      oidc: {
        clients: oidc,
        tokens: providerTokens,
        bound: new BrowserBoundEntries(backend.kv, { secure: config.cookieSecure }),
        kv: backend.kv,
      },
    }),
  );
  app.use((_req, _res, next) => next(new ApiError(404, "not_found")));
  const onError: ErrorRequestHandler = (error, req, res, _next) => errors.send(req, res, error, "routes");
  app.use(onError);

  const sessionCheckPath = `${config.authPrefix}/session`;
  // The gateway also takes every target that is not a plain path (absolute-form `http://…`, `*`):
  // its path check refuses those with 400 before anything else happens.
  const isGatewayTarget = (req: IncomingMessage): boolean =>
    req.url === undefined || req.url.startsWith("/api/") || !req.url.startsWith("/");
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    lifecycle.track(req, res);
    if (isGatewayTarget(req)) gateway.handle(req, res);
    else if (req.method === "GET" && req.url === sessionCheckPath) void sessionCheck(req, res);
    else app(req, res);
  };
  return {
    handler,
    // `Expect: 100-continue`: the gateway sends 100 once the call is allowed (its checks passed), so a
    // refused upload is never sent; our own routes take their small bodies at once.
    onExpectContinue(req, res) {
      if (!isGatewayTarget(req)) res.writeContinue();
      handler(req, res);
    },
    onOtherExpectation(req, res) {
      lifecycle.track(req, res);
      errors.send(req, res, new ApiError(417, "expectation_failed"), "routes");
    },
    gateway,
    jwtProvider,
  };
}
