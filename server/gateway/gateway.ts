// The API gateway: `ANY /api/<service>/<path>` for signed-in browsers. Served before Express's
// router on the hot path: CORS and CSRF checks, the session read through the session seam, a JWT
// from cache (or one single-flight fetch), and the request streamed to a pooled upstream client.
// Capacity: a session may have GATEWAY_MAX_CALLS_PER_SESSION calls in flight, an upstream
// GATEWAY_MAX_CALLS_PER_UPSTREAM (in flight plus queued for a connection); past either, 429, so one
// signed-in user cannot make an upstream unavailable to everyone else.
// A refresh token the auth service refuses ends the session (401 session_expired); a transient
// auth-service failure keeps it (503): session-jwt.ts, shared with forward auth.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config.js";
import { applyCors } from "../http/cors.js";
import type { OriginPolicy } from "../http/csrf.js";
import { ApiError, type ErrorExit } from "../http/errors.js";
import type { ContextOf } from "../http/request-context.js";
import { setHeaders, type HeaderList } from "../http/security-headers.js";
import type { Metrics } from "../ops/metrics.js";
import type { Sessions } from "../session/sessions.js";
import type { JwtProvider } from "./jwt-provider.js";
import { UpstreamProxy } from "./proxy.js";
import type { JwtForSession } from "./session-jwt.js";
import { resolveUpstream } from "./upstream-path.js";

export interface GatewayDeps {
  config: Config;
  sessions: Sessions;
  originPolicy: OriginPolicy;
  contextOf: ContextOf;
  jwtProvider: JwtProvider;
  jwtFor: JwtForSession;
  errors: ErrorExit;
  metrics: Metrics;
  /** Security headers for the gateway's own answers (errors, preflights); upstream answers keep their own. */
  headers: HeaderList;
}

export interface Gateway {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Closes the upstream pools within `deadlineMs`. */
  close(deadlineMs: number): Promise<void>;
}

const RETRY_SOON = { extra: { retryAfter: 1 }, headers: { "Retry-After": "1" } };

/** Whether the client holds its body back until it gets `100 Continue`. */
function expectsContinue(headers: IncomingHttpHeaders): boolean {
  return headers.expect?.toLowerCase() === "100-continue";
}

/** One upstream: its pooled proxy, and its calls in flight plus those queued for a connection. */
interface UpstreamSlot {
  proxy: UpstreamProxy;
  calls: number;
}

/** Counts calls in flight per key, refusing past a limit. */
class InFlight {
  private readonly counts = new Map<string, number>();
  constructor(private readonly limit: number) {}

  enter(key: string): boolean {
    const count = this.counts.get(key) ?? 0;
    if (count >= this.limit) return false;
    this.counts.set(key, count + 1);
    return true;
  }

  leave(key: string): void {
    const count = (this.counts.get(key) ?? 1) - 1;
    if (count <= 0) this.counts.delete(key);
    else this.counts.set(key, count);
  }
}

export function createGateway(deps: GatewayDeps): Gateway {
  const { config, sessions, originPolicy, contextOf, jwtProvider, jwtFor, errors, metrics } = deps;
  const upstreams = new Map<string, UpstreamSlot>(
    [...config.upstreams.values()].map((upstream) => [
      upstream.name,
      { proxy: new UpstreamProxy(upstream, config.upstreamTimeoutMs, metrics), calls: 0 },
    ]),
  );
  const callsPerSession = new InFlight(config.gatewayMaxCallsPerSession);
  const maxCallsPerUpstream = config.gatewayMaxCallsPerUpstream;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "OPTIONS") {
      setHeaders(res, deps.headers);
      applyCors(req, res, originPolicy, true);
      return;
    }
    // `req.headers` is a getter that every request shape (Express's, express-session's) makes
    // megamorphic: the gateway reads it once and hands the object on.
    const headers = req.headers;
    originPolicy.check(req, headers);
    const target = resolveUpstream(req.url ?? "/", config.upstreams);
    const session = await sessions.load(req);
    if (!session) throw new ApiError(401, "unauthenticated");
    // One session cannot take every pooled connection of an upstream, and no upstream queues without bound.
    const slot = upstreams.get(target.upstream.name)!;
    if (slot.calls >= maxCallsPerUpstream || !callsPerSession.enter(session.sid)) throw new ApiError(429, "rate_limited", RETRY_SOON);
    slot.calls++;
    try {
      const jwt = jwtProvider.cached(session.sid) ?? (await jwtFor(session));
      // The answer's headers are the upstream's (its caching headers apply), plus CORS for an allowed
      // cross-origin host; they go out in one writeHead, on Node's fast path for raw header lists.
      const corsOrigin = originPolicy.corsOrigin(req, headers);
      const context = contextOf(req);
      // The call is allowed: now the client may send the body it held back for `Expect: 100-continue`.
      if (expectsContinue(headers)) res.writeContinue();
      await slot.proxy.forward(req, res, {
        path: target.path,
        headers,
        forwarded: { jwt, forwardedFor: context.forwardedFor, forwardedProto: context.scheme, forwardedHost: context.host },
        bodyLimitBytes: config.gatewayBodyLimitBytes,
        responseHeaders: corsOrigin ? ["Access-Control-Allow-Origin", corsOrigin, "Access-Control-Allow-Credentials", "true"] : [],
      });
    } finally {
      callsPerSession.leave(session.sid);
      slot.calls--;
    }
  }

  return {
    handle(req, res) {
      serve(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          try {
            applyCors(req, res, originPolicy, true);
          } catch {
            // a refused preflight is answered by the error at hand
          }
        }
        errors.send(req, res, error, "gateway");
      });
    },
    async close(deadlineMs) {
      await Promise.all([...upstreams.values()].map((slot) => slot.proxy.close(deadlineMs)));
    },
  };
}
