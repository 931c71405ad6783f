// The API gateway: `ANY /api/<service>/<path>` for signed-in browsers. Served before Express's
// router on the hot path: CORS and CSRF checks, the session read straight from the store, a JWT
// from cache (or one single-flight fetch), and the request streamed to a pooled upstream client.
// A refresh token the auth service refuses ends the session (401 session_expired); a transient
// auth-service failure keeps it (503).
import type { IncomingMessage, ServerResponse } from "node:http";
import { RefreshTokenRejected } from "../auth-client.js";
import type { Config } from "../config.js";
import { applyCors } from "../cors.js";
import { requestProto, type OriginPolicy } from "../csrf.js";
import { ApiError, toApiError, writeError } from "../errors.js";
import type { Logger } from "../logger.js";
import { setHeaders, type HeaderList } from "../security-headers.js";
import type { SessionBackend } from "../session-backend.js";
import type { LoadedSession, SessionReader } from "../session.js";
import type { JwtProvider } from "./jwt-provider.js";
import { UpstreamProxy } from "./proxy.js";
import { resolveUpstream } from "./upstream-path.js";

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  backend: SessionBackend;
  reader: SessionReader;
  originPolicy: OriginPolicy;
  jwtProvider: JwtProvider;
  /** Ends a session everywhere: store key, JWT cache, per-user index. */
  endSession: (session: LoadedSession) => Promise<void>;
  /** Security headers for the gateway's own (error) answers; upstream answers keep their own. */
  headers: HeaderList;
}

export interface Gateway {
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export function createGateway(deps: GatewayDeps): Gateway {
  const { config, logger, reader, originPolicy, jwtProvider } = deps;
  const trustProxy = config.trustProxy !== undefined && config.trustProxy !== false;
  const proxies = new Map([...config.upstreams.values()].map((upstream) => [upstream.name, new UpstreamProxy(upstream, config.upstreamTimeoutMs)]));

  async function jwtFor(session: LoadedSession): Promise<string> {
    try {
      return await jwtProvider.get(session);
    } catch (error) {
      if (error instanceof RefreshTokenRejected) {
        logger.info({ event: "session_expired", userId: session.user.id, status: error.status }, "refresh token refused: session ended");
        await deps.endSession(session);
        throw new ApiError(401, "session_expired");
      }
      const apiError = toApiError(error);
      logger.warn({ event: "refresh_failed", userId: session.user.id, code: apiError.code }, "could not get a JWT");
      if (apiError.status === 503) throw apiError;
      throw new ApiError(503, "token_unavailable", { cause: error });
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "OPTIONS") {
      applyCors(req, res, originPolicy, true);
      return;
    }
    originPolicy.check(req);
    const target = resolveUpstream(req.url ?? "/", config.upstreams);
    const session = await reader.load(req);
    if (!session) throw new ApiError(401, "unauthenticated");
    const jwt = jwtProvider.cached(session.sid) ?? (await jwtFor(session));
    // The answer's headers are the upstream's (its caching headers apply), plus CORS for an allowed
    // cross-origin host; they go out in one writeHead, on Node's fast path for raw header lists.
    const corsOrigin = originPolicy.corsOrigin(req);
    const remote = req.socket.remoteAddress ?? "";
    const priorFor = trustProxy ? req.headers["x-forwarded-for"] : undefined;
    await proxies.get(target.upstream.name)!.forward(req, res, {
      path: target.path,
      jwt,
      forwardedFor: priorFor ? `${String(priorFor)}, ${remote}` : remote,
      forwardedProto: requestProto(req, trustProxy),
      forwardedHost: req.headers.host,
      bodyLimitBytes: config.gatewayBodyLimitBytes,
      responseHeaders: corsOrigin ? ["Access-Control-Allow-Origin", corsOrigin, "Access-Control-Allow-Credentials", "true"] : [],
    });
  }

  return {
    handle(req, res) {
      serve(req, res).catch((error: unknown) => {
        const apiError = toApiError(error);
        if (apiError.status >= 500) {
          logger.warn({ event: "gateway_failed", code: apiError.code, cause: (apiError.cause as Error | undefined)?.message }, "gateway call failed");
        }
        if (!res.headersSent) {
          setHeaders(res, deps.headers);
          res.setHeader("Cache-Control", "no-store");
          try {
            applyCors(req, res, originPolicy, true);
          } catch {
            // a refused preflight is answered by the error at hand
          }
        }
        writeError(res, apiError);
        // An unread request body would otherwise keep the connection busy.
        if (!req.complete) req.resume();
      });
    },
    async close() {
      await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
    },
  };
}
