// Starts a session server from a validated config: picks the session backend, starts the
// reference auth service in-process when AUTH_SERVICE is unset, listens (the main port, and the
// internal forward-auth and metrics ports when configured), and wires the bounded shutdown, which
// every listener and client joins. Used by main.ts, the demo and the tests: one wiring for all.
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { AuthServiceClient } from "./auth-client/client.js";
import { startAuthService, type RunningAuthService } from "./auth-service/index.js";
import { createApp, type RequestListener } from "./app.js";
import type { Config } from "./config.js";
import type { JwtProvider } from "./gateway/jwt-provider.js";
import { createErrorExit } from "./http/errors.js";
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

export async function startSessionServer(config: Config, options: StartOptions = {}): Promise<RunningSessionServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const limits = sessionLimits(config);
  const ttlMsOf = (record: { createdAt?: number | undefined }) => sessionTtlMs(record, limits);

  let embeddedAuthService: RunningAuthService | undefined;
  if (config.authService === undefined) {
    embeddedAuthService = await startAuthService({ dataDir: path.join(config.dataDir, "auth-service"), port: 0, host: "127.0.0.1" });
  }
  const authServiceUrl = config.authService ?? embeddedAuthService!.url;

  const backend =
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

  const authClient = new AuthServiceClient({ origin: authServiceUrl, timeoutMs: config.authTimeoutMs });
  const headers = securityHeaderList({ https: config.cookieSecure });
  const metrics = config.metricsPort !== undefined || config.metricsAllow.length > 0 ? createMetrics() : noMetrics;
  const errors = createErrorExit(logger, headers, metrics);
  const lifecycle = new Lifecycle({ timeoutMs: config.shutdownTimeoutMs, logger, errors });
  const { handler, forwardAuthHandler, metricsHandler, gateway, jwtProvider } = createApp({
    config,
    logger,
    backend,
    authClient,
    lifecycle,
    errors,
    headers,
    metrics,
  });
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

  const serve = async (port: number, listener: RequestListener): Promise<{ server: http.Server; url: string }> => {
    const server = http.createServer({ requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 5_000 }, listener);
    server.on("clientError", (error: NodeJS.ErrnoException, socket) => errors.sendOnSocket(error, socket));
    lifecycle.addServer(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return { server, url: `http://${host}:${address.port}` };
  };
  let main: { server: http.Server; url: string };
  let forwardAuth: { url: string } | undefined;
  let metricsListener: { url: string } | undefined;
  try {
    main = await serve(config.port, handler);
    if (config.forwardAuthPort !== undefined) forwardAuth = await serve(config.forwardAuthPort, forwardAuthHandler);
    if (config.metricsPort !== undefined) metricsListener = await serve(config.metricsPort, metricsHandler);
  } catch (error) {
    await lifecycle.shutdown();
    throw error;
  }

  return {
    url: main.url,
    forwardAuthUrl: forwardAuth?.url,
    metricsUrl: metricsListener?.url,
    authServiceUrl,
    backend,
    jwtProvider,
    server: main.server,
    logger,
    lifecycle,
    close: () => lifecycle.shutdown(),
  };
}
