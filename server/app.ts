// Assembles the session server's request listeners: on the main port, the hot paths (the session
// check and the gateway) served before Express's router, `/metrics` for METRICS_ALLOW peers, then
// Express with the security headers, health and readiness, and the /auth API, ending in the one
// not-found answer and the one error exit; and the internal listeners' handlers (forward auth,
// metrics), which start.ts serves on their own ports. Every request is counted by its route group.
import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler } from "express";
import proxyAddr from "proxy-addr";
import type { AuthServiceClient } from "./auth-client/client.js";
import type { OidcClients } from "./auth-client/oidc.js";
import type { Config } from "./config.js";
import { createForwardAuth } from "./gateway/forward-auth.js";
import { createGateway, type Gateway } from "./gateway/gateway.js";
import { JwtProvider } from "./gateway/jwt-provider.js";
import { jwtForSession } from "./gateway/session-jwt.js";
import { tokenSource } from "./gateway/token-sources.js";
import { OriginPolicy } from "./http/csrf.js";
import { ApiError, type ErrorExit } from "./http/errors.js";
import { jsonBody } from "./http/json-body.js";
import { createRateLimits } from "./http/rate-limit.js";
import { contextReader, type TrustFunction } from "./http/request-context.js";
import { securityHeaders, type HeaderList } from "./http/security-headers.js";
import { healthRoutes } from "./ops/health.js";
import type { Logger } from "./ops/logger.js";
import { isMetricsPath, metricsEndpoint, type Metrics, type RouteGroup } from "./ops/metrics.js";
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
  /** Metrics, or `noMetrics` when they are off. */
  metrics: Metrics;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface SessionServerApp {
  /** The main port's request listener. */
  handler: RequestListener;
  /** Node's `checkContinue` on the main port: a request with `Expect: 100-continue`. */
  onExpectContinue: RequestListener;
  /** Node's `checkExpectation` on the main port: any other Expect value, answered 417. */
  onOtherExpectation: RequestListener;
  /** The FORWARD_AUTH_PORT listener's: `<AUTH_PREFIX>/verify`, nothing else. */
  forwardAuthHandler: RequestListener;
  /** The METRICS_PORT listener's: `/metrics`, nothing else. */
  metricsHandler: RequestListener;
  gateway: Gateway;
  jwtProvider: JwtProvider;
}

export function createApp(deps: AppDeps): SessionServerApp {
  const { config, logger, backend, authClient, oidc, lifecycle, errors, headers, metrics } = deps;
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
    metrics,
    // Once per JWT fetch at most, and only when it changed: no store write per request.
    onEmailVerified: (session, verified) => sessions.setEmailVerified(session.user.id, verified, session.sid),
  });
  sessions.onEnd((sid) => jwtProvider.forget(sid));
  sessions.onEnd((sid) => providerTokens.forget(sid));
  const jwtFor = jwtForSession({ sessions, jwtProvider, logger });
  const rateLimits = createRateLimits(
    backend.kv,
    {
      windowMs: config.rateLimitWindowMs,
      failuresPerAccount: config.loginFailuresPerAccount,
      failuresPerAddress: config.loginFailuresPerAddress,
      mailRequestsPerAccount: config.mailRequestsPerAccount,
    },
    logger,
    metrics,
    contextOf,
  );
  const sessionCheck = createSessionCheck({ sessions, originPolicy, headers, errors });
  const gateway = createGateway({ config, sessions, originPolicy, contextOf, jwtProvider, jwtFor, errors, headers, metrics });
  const forwardAuth = createForwardAuth({
    path: `${config.authPrefix}/verify`,
    sessions,
    originPolicy,
    jwtProvider,
    jwtFor,
    errors,
    headers,
  });
  const serveMetrics = metricsEndpoint(metrics, errors, headers);

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
      metrics,
      passkeyChallenges: new BrowserBoundEntries(backend.kv, { secure: config.cookieSecure, purpose: "passkey" }),
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
  const authPrefix = `${config.authPrefix}/`;
  /** The group of a request that Express answers (never the path itself: metrics.ts). */
  const groupOf = (url: string): RouteGroup => {
    const path = url.split("?", 1)[0]!;
    if (path === sessionCheckPath) return "session_check";
    if (path.startsWith(authPrefix) || path === config.authPrefix) return "auth";
    if (path === "/healthz" || path === "/readyz") return "health";
    return "other";
  };
  // METRICS_ALLOW is matched against the socket's peer alone: a forwarded header never opens /metrics.
  const metricsPeer = config.metricsAllow.length > 0 ? proxyAddr.compile(config.metricsAllow) : undefined;
  // The gateway also takes every target that is not a plain path (absolute-form `http://…`, `*`):
  // its path check refuses those with 400 before anything else happens.
  const isGatewayTarget = (url: string | undefined): boolean => url === undefined || url.startsWith("/api/") || !url.startsWith("/");

  const handler: RequestListener = (req, res) => {
    lifecycle.track(req, res);
    const url = req.url;
    if (isGatewayTarget(url)) {
      metrics.track("gateway", res);
      gateway.handle(req, res);
    } else if (req.method === "GET" && url === sessionCheckPath) {
      metrics.track("session_check", res);
      void sessionCheck(req, res);
    } else if (metricsPeer !== undefined && isMetricsPath(url!) && metricsPeer(req.socket.remoteAddress ?? "", 0)) {
      metrics.track("metrics", res);
      serveMetrics(req, res);
    } else {
      metrics.track(groupOf(url!), res);
      app(req, res);
    }
  };
  const forwardAuthHandler: RequestListener = (req, res) => {
    lifecycle.track(req, res);
    metrics.track("forward_auth", res);
    forwardAuth(req, res);
  };
  const metricsHandler: RequestListener = (req, res) => {
    lifecycle.track(req, res);
    metrics.track("metrics", res);
    serveMetrics(req, res);
  };
  return {
    handler,
    // `Expect: 100-continue`: the gateway sends 100 once the call is allowed (its checks passed), so a
    // refused upload is never sent; our own routes take their small bodies at once.
    onExpectContinue(req, res) {
      if (!isGatewayTarget(req.url)) res.writeContinue();
      handler(req, res);
    },
    onOtherExpectation(req, res) {
      lifecycle.track(req, res);
      errors.send(req, res, new ApiError(417, "expectation_failed"), "routes");
    },
    forwardAuthHandler,
    metricsHandler,
    gateway,
    jwtProvider,
  };
}
