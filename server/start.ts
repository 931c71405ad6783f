// Starts a session server from a validated config: picks the session backend, starts the
// reference auth service in-process when AUTH_SERVICE is unset, and listens. Used by main.ts,
// the demo and the tests, so all of them run the same wiring.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import path from "node:path";
import { AuthServiceClient } from "./auth-client.js";
import { startAuthService, type RunningAuthService } from "./auth-service/index.js";
import { createApp } from "./app.js";
import type { JwtProvider } from "./gateway/jwt-provider.js";
import type { Config } from "./config.js";
import { createEmbeddedBackend } from "./embedded-backend.js";
import { ApiError } from "./errors.js";
import { createLogger, type Logger } from "./logger.js";
import { createRedisBackend } from "./redis-backend.js";
import { sessionTtlMs, type SessionBackend } from "./session-backend.js";
import { sessionLimits } from "./session.js";

/**
 * Requests Node's HTTP parser refuses (CR/LF or NUL in headers, oversize headers, conflicting
 * lengths) never reach a route: answer them with the shared error shape too, then close.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (socket as Duplex & { bytesWritten?: number }).bytesWritten) {
    socket.destroy();
    return;
  }
  const apiError =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new ApiError(431, "bad_request", { message: "The request headers are too large." })
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? new ApiError(408, "bad_request", { message: "The request took too long to arrive." })
        : new ApiError(400, "bad_request", { message: "The request is not valid HTTP." });
  const body = JSON.stringify(apiError.toBody());
  socket.end(
    `HTTP/1.1 ${apiError.status} ${http.STATUS_CODES[apiError.status]}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export interface RunningSessionServer {
  url: string;
  authServiceUrl: string;
  backend: SessionBackend;
  /** Counts JWT requests made to the auth service (tests, benchmarks). */
  jwtProvider: JwtProvider;
  server: http.Server;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

export async function startSessionServer(config: Config, options: StartOptions = {}): Promise<RunningSessionServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const limits = sessionLimits(config);
  const ttlMsOf = (session: { createdAt?: number }) => sessionTtlMs(session, limits);

  let embeddedAuthService: RunningAuthService | undefined;
  if (config.authService === undefined) {
    embeddedAuthService = await startAuthService({
      dataDir: path.join(config.dataDir, "auth-service"),
      port: 0,
      host: "127.0.0.1",
    });
  }
  const authServiceUrl = config.authService ?? embeddedAuthService!.url;

  const backend =
    config.redisUrl !== undefined || config.redisClusterNodes.length > 0
      ? await createRedisBackend({
          url: config.redisUrl,
          clusterNodes: config.redisClusterNodes,
          commandTimeoutMs: config.redisTimeoutMs,
          ttlMsOf,
          logger,
        })
      : createEmbeddedBackend(config.dataDir, ttlMsOf);

  const authClient = new AuthServiceClient({ origin: authServiceUrl, timeoutMs: config.authTimeoutMs });
  const { handler, gateway, jwtProvider } = createApp({ config, logger, backend, authClient });

  const server = http.createServer({ requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 5_000 }, handler);
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let closed: Promise<void> | undefined;
  return {
    url,
    authServiceUrl,
    backend,
    jwtProvider,
    server,
    logger,
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await gateway.close();
        await authClient.close();
        await backend.close();
        await embeddedAuthService?.close();
      })();
      return closed;
    },
  };
}
