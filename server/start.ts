// Starts a session server from a validated config: listens on the main port (answering 503 not_ready
// until the app is wired, so its own origin is known for the in-process LINK_ORIGINS), starts the
// reference auth service in-process when AUTH_SERVICE is unset, picks the session backend, opens the
// internal forward-auth and metrics ports when configured, and wires the bounded shutdown, which
// every listener and client joins. Used by main.ts, the demo and the tests: one wiring for all.
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { AuthServiceClient } from "./auth-client/client.js";
import { OidcClients } from "./auth-client/oidc.js";
import { startAuthService, type RunningAuthService } from "./auth-service/index.js";
import { createApp, type RequestListener } from "./app.js";
import type { Config } from "./config.js";
import type { JwtProvider } from "./gateway/jwt-provider.js";
import { ApiError, createErrorExit } from "./http/errors.js";
import { securityHeaderList } from "./http/security-headers.js";
import { closeWithin } from "./ops/deadline.js";
import { createLogger, type Logger } from "./ops/logger.js";
import { createMetrics, noMetrics } from "./ops/metrics.js";
import { Lifecycle } from "./ops/shutdown.js";
import type { SessionBackend } from "./session/backend.js";
import { createEmbeddedBackend } from "./session/embedded-backend.js";
import { sessionLimits, sessionTtlMs } from "./session/lifetime.js";
import { createRedisBackend } from "./session/redis-backend.js";

export interface RunningSessionServer {
  url: string;
  /** `http://host:port` of the forward-auth listener (FORWARD_AUTH_PORT), when there is one. */
  forwardAuthUrl: string | undefined;
  /** `http://host:port` of the metrics listener (METRICS_PORT), when there is one. */
  metricsUrl: string | undefined;
  authServiceUrl: string;
  backend: SessionBackend;
  /** Counts JWT requests made to the auth service (tests, benchmarks). */
  jwtProvider: JwtProvider;
  /** The OIDC providers (counts their refreshes: tests, benchmarks). */
  oidc: OidcClients;
  server: http.Server;
  logger: Logger;
  lifecycle: Lifecycle;
  /**
   * The bounded shutdown (ops/shutdown.ts): stops accepting, lets requests in flight finish for at
   * most SHUTDOWN_TIMEOUT_MS, then closes every client. Never rejects; later calls share the first.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

/**
 * The origins the in-process reference service may mail links to: LINK_ORIGINS when given (config.ts checked that
 * the link URLs are inside it); else the origins of PASSWORD_RESET_URL and EMAIL_VERIFICATION_URL, and for one left
 * to its default, PUBLIC_ORIGIN, or without it this server's own origin and ALLOWED_ORIGINS (the origins a
 * request's own origin can be when it passes the CSRF check from a browser).
 */
export function referenceLinkOrigins(config: Config, ownOrigin: string): string[] {
  if (config.referenceService && config.referenceService.linkOrigins.length > 0) return config.referenceService.linkOrigins;
  const origins = new Set<string>();
  for (const url of [config.passwordResetUrl, config.emailVerificationUrl]) {
    if (url !== undefined) origins.add(new URL(url).origin);
    else if (config.publicOrigin !== undefined) origins.add(config.publicOrigin);
    else for (const origin of [ownOrigin, ...config.allowedOrigins]) origins.add(origin);
  }
  return [...origins];
}

/**
 * The relying party of the in-process reference service: WEBAUTHN_ORIGINS when given; else the origins browsers use
 * (PUBLIC_ORIGIN, or this server's own origin and ALLOWED_ORIGINS) that can hold a passkey: https, or http on
 * localhost, a loopback address counting as localhost (WebAuthn refuses IP addresses). The RP id: WEBAUTHN_RP_ID, else
 * the first of those origins' host.
 */
export function referenceWebauthn(config: Config, ownOrigin: string): { rpId: string | undefined; origins: string[] | undefined } {
  const reference = config.referenceService;
  if (reference?.webauthnOrigins !== undefined) return { rpId: reference.webauthnRpId, origins: reference.webauthnOrigins };
  const candidates = new Set<string>();
  for (const origin of config.publicOrigin !== undefined ? [config.publicOrigin] : [ownOrigin, ...config.allowedOrigins]) {
    const url = new URL(origin);
    if (["127.0.0.1", "[::1]", "0.0.0.0", "[::]"].includes(url.hostname)) url.hostname = "localhost";
    // An IP address can be no RP id: such an origin cannot hold a passkey (and must not stop a start without them).
    const address = /^[\d.]+$/.test(url.hostname) || url.hostname.startsWith("[");
    if (!address && (url.protocol === "https:" || url.hostname === "localhost")) candidates.add(url.origin);
  }
  const rpId = reference?.webauthnRpId ?? (candidates.size > 0 ? new URL([...candidates][0]!).hostname : undefined);
  const origins = [...candidates].filter((origin) => {
    const host = new URL(origin).hostname;
    return rpId === undefined || host === rpId || host.endsWith(`.${rpId}`);
  });
  return { rpId, origins: origins.length > 0 ? origins : undefined };
}

/** The dev mailbox's directory (DATA_DIR/mail/) when the in-process reference service writes its mails there (no SMTP_URL). */
export function devMailboxDir(config: Config): string | undefined {
  return config.referenceService && config.referenceService.smtpUrl === undefined ? path.join(config.dataDir, "mail") : undefined;
}

/** Listens and resolves with the server's `http://host:port`. */
function listen(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      resolve(`http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`);
    });
  });
}

function newServer(listener?: RequestListener): http.Server {
  const options = { requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 5_000 };
  return listener ? http.createServer(options, listener) : http.createServer(options);
}

export async function startSessionServer(config: Config, options: StartOptions = {}): Promise<RunningSessionServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const limits = sessionLimits(config);
  const ttlMsOf = (record: { createdAt?: number | undefined }) => sessionTtlMs(record, limits);
  const headers = securityHeaderList({ https: config.cookieSecure });
  const metrics = config.metricsPort !== undefined || config.metricsAllow.length > 0 ? createMetrics() : noMetrics;
  const errors = createErrorExit(logger, headers, metrics);

  const server = newServer();
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => errors.sendOnSocket(error, socket));
  const starting = (req: http.IncomingMessage, res: http.ServerResponse): void =>
    errors.send(req, res, new ApiError(503, "not_ready", { headers: { "Retry-After": "1" } }), "readiness");
  server.on("request", starting);
  const url = await listen(server, config.port, config.host);

  let embeddedAuthService: RunningAuthService | undefined;
  let backend: SessionBackend;
  try {
    const reference = config.referenceService;
    if (reference) {
      const webauthn = referenceWebauthn(config, url);
      embeddedAuthService = await startAuthService({
        dataDir: path.join(config.dataDir, "auth-service"),
        port: 0,
        host: "127.0.0.1",
        jwtLifetimeSeconds: reference.jwtLifetimeSeconds,
        refreshTokenLifetimeSeconds: reference.refreshTokenLifetimeSeconds,
        ...(reference.issuer !== undefined ? { issuer: reference.issuer } : {}),
        audience: reference.audience,
        minPasswordLength: reference.minPasswordLength,
        smtpUrl: reference.smtpUrl,
        mailFrom: reference.mailFrom,
        mailDir: devMailboxDir(config) ?? path.join(config.dataDir, "mail"),
        linkOrigins: referenceLinkOrigins(config, url),
        requireEmailVerification: reference.requireEmailVerification,
        webauthnRpId: webauthn.rpId,
        webauthnOrigins: webauthn.origins,
        onError: (error) => logger.error({ event: "auth_service_error", cause: (error as Error).message }, "reference auth service error"),
        log: (line) => logger.info({ event: "dev_mailbox" }, line),
      });
    }
    if (reference && reference.smtpUrl === undefined && config.production) {
      logger.warn({ event: "dev_mailbox_in_production" }, "SMTP_URL is not set: reset and verification mails only go to the dev mailbox");
    }
    backend =
      config.redisUrl !== undefined || config.redisClusterNodes.length > 0 || config.redisSentinels.length > 0
        ? await createRedisBackend({
            url: config.redisUrl,
            clusterNodes: config.redisClusterNodes,
            sentinels: config.redisSentinels,
            sentinelName: config.redisSentinelName,
            password: config.redisPassword,
            sentinelPassword: config.redisSentinelPassword,
            commandTimeoutMs: config.redisTimeoutMs,
            ttlMsOf,
            logger,
          })
        : createEmbeddedBackend(config.dataDir, ttlMsOf);
  } catch (error) {
    server.close();
    server.closeAllConnections();
    await embeddedAuthService?.close().catch(() => undefined);
    throw error;
  }
  const authServiceUrl = config.authService ?? embeddedAuthService!.url;

  const authClient = new AuthServiceClient({ origin: authServiceUrl, timeoutMs: config.authTimeoutMs });
  // Discovery of each OIDC provider: one attempt now; one that fails is retried in the background
  // (logged), and meanwhile only its own routes answer oidc_unavailable.
  const oidc = new OidcClients(config.oidcProviders, { logger, timeoutMs: config.authTimeoutMs });
  await oidc.start();
  const lifecycle = new Lifecycle({ timeoutMs: config.shutdownTimeoutMs, logger, errors });
  const { handler, onExpectContinue, onOtherExpectation, forwardAuthHandler, metricsHandler, gateway, jwtProvider } = createApp({
    config,
    logger,
    backend,
    authClient,
    oidc,
    lifecycle,
    errors,
    headers,
    metrics,
  });
  lifecycle.addClient(async () => oidc.close());
  lifecycle.addClient((deadlineMs) => gateway.close(deadlineMs));
  lifecycle.addClient((deadlineMs) => authClient.close(deadlineMs));
  lifecycle.addClient((deadlineMs) => backend.close(deadlineMs));
  if (embeddedAuthService)
    lifecycle.addClient((deadlineMs) =>
      closeWithin(
        () => embeddedAuthService.close(),
        () => undefined,
        deadlineMs,
      ),
    );

  lifecycle.addServer(server);
  server.on("checkContinue", onExpectContinue);
  server.on("checkExpectation", onOtherExpectation);
  server.off("request", starting);
  server.on("request", handler);

  /** An internal listener (forward auth, metrics): its own port, the same shutdown. */
  const serveInternal = async (port: number, listener: RequestListener): Promise<string> => {
    const internal = newServer(listener);
    internal.on("clientError", (error: NodeJS.ErrnoException, socket) => errors.sendOnSocket(error, socket));
    lifecycle.addServer(internal);
    return listen(internal, port, config.host);
  };
  let forwardAuthUrl: string | undefined;
  let metricsUrl: string | undefined;
  try {
    if (config.forwardAuthPort !== undefined) forwardAuthUrl = await serveInternal(config.forwardAuthPort, forwardAuthHandler);
    if (config.metricsPort !== undefined) metricsUrl = await serveInternal(config.metricsPort, metricsHandler);
  } catch (error) {
    await lifecycle.shutdown();
    throw error;
  }

  return {
    url,
    forwardAuthUrl,
    metricsUrl,
    authServiceUrl,
    backend,
    jwtProvider,
    oidc,
    server,
    logger,
    lifecycle,
    close: () => lifecycle.shutdown(),
  };
}
