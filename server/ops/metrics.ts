// Prometheus metrics (prom-client, text exposition format): requests by route group and status
// with their latency, logins by result, JWT fetches and their latency, rate-limit refusals, session
// store errors, the gateway's upstream status classes, and the process's default metrics.
//
// Threat model: a scrape is read by monitoring, which must learn nothing that identifies a user or
// a session. So every label value comes from a fixed, small set chosen here (a route group, a status
// code, a result), never from the request: no path, token, e-mail, address or session id. And
// `/metrics` is answered only where METRICS_PORT or METRICS_ALLOW say (app.ts, start.ts).
// With neither set, `noMetrics` records nothing, so the hot paths pay nothing.
import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Histogram, Counter, Registry } from "prom-client";
import { ApiError, type ErrorExit } from "../http/errors.js";
import { setHeaders, type HeaderList } from "../http/security-headers.js";

/** What a request was for: every path maps to one of these, never to itself. */
export type RouteGroup = "session_check" | "auth" | "gateway" | "forward_auth" | "health" | "metrics" | "other";
export type LoginResult = "ok" | "failed" | "rate_limited";
/** `rejected`: the auth service refused the refresh token; `failed`: it could not answer. */
export type JwtFetchResult = "ok" | "rejected" | "failed";
export type RateLimit = "account" | "address";

export interface Metrics {
  readonly enabled: boolean;
  /** Counts `res` under `group` with its status and latency once its answer is done (or cut off). */
  track(group: RouteGroup, res: ServerResponse): void;
  login(result: LoginResult): void;
  jwtFetch(result: JwtFetchResult, seconds: number): void;
  rateLimited(limit: RateLimit): void;
  /** A request failed because the session store did not answer (503 session_store_unavailable). */
  storeError(): void;
  /** The status of an upstream's answer through the gateway. */
  upstreamStatus(status: number): void;
  /** The exposition, in Prometheus text format. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

export function createMetrics(): Metrics {
  // A registry per server (not prom-client's global one): tests and the demo run several in one process.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: "http_request_duration_seconds",
    help: "Requests answered, by route group and status, and how long each took (the _count is the number of requests).",
    labelNames: ["group", "status"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const logins = new Counter({
    name: "auth_logins_total",
    help: "Password logins, by result: ok, failed (wrong credentials) or rate_limited.",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const jwtFetches = new Histogram({
    name: "auth_jwt_fetch_duration_seconds",
    help: "JWTs fetched from the auth service, by result, and how long each fetch took (the _count is the number of fetches).",
    labelNames: ["result"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const refusals = new Counter({
    name: "auth_rate_limit_refusals_total",
    help: "Requests refused with 429 by a rate limit, by limit: account or address.",
    labelNames: ["limit"] as const,
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: "auth_session_store_errors_total",
    help: "Requests that failed because the session store did not answer (503 session_store_unavailable).",
    registers: [registry],
  });
  const upstream = new Counter({
    name: "auth_gateway_upstream_responses_total",
    help: "Answers of upstreams through the gateway, by status class.",
    labelNames: ["class"] as const,
    registers: [registry],
  });
  // Zero series from the start, so a rate() or an alert sees every series before its first event.
  for (const result of ["ok", "failed", "rate_limited"] as const) logins.inc({ result }, 0);
  for (const limit of ["account", "address"] as const) refusals.inc({ limit }, 0);
  for (const statusClass of STATUS_CLASSES.slice(1)) upstream.inc({ class: statusClass }, 0);
  storeErrors.inc(0);

  return {
    enabled: true,
    track(group, res) {
      const start = performance.now();
      res.once("close", () => {
        // An answer cut off before its headers went out has no status of its own.
        const status = res.headersSent ? String(res.statusCode) : "aborted";
        requests.observe({ group, status }, (performance.now() - start) / 1000);
      });
    },
    login: (result) => logins.inc({ result }),
    jwtFetch: (result, seconds) => jwtFetches.observe({ result }, seconds),
    rateLimited: (limit) => refusals.inc({ limit }),
    storeError: () => storeErrors.inc(),
    upstreamStatus(status) {
      const statusClass = STATUS_CLASSES[Math.floor(status / 100) - 1];
      if (statusClass) upstream.inc({ class: statusClass });
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** Metrics off (neither METRICS_PORT nor METRICS_ALLOW): nothing is recorded. */
export const noMetrics: Metrics = {
  enabled: false,
  track: () => undefined,
  login: () => undefined,
  jwtFetch: () => undefined,
  rateLimited: () => undefined,
  storeError: () => undefined,
  upstreamStatus: () => undefined,
  scrape: () => Promise.reject(new Error("metrics are off")),
};

/** Whether a request target is `/metrics` (a query string aside). */
export const isMetricsPath = (url: string | undefined): boolean => url === "/metrics" || url?.startsWith("/metrics?") === true;

/**
 * `GET /metrics`, for the METRICS_PORT listener and for METRICS_ALLOW peers on the main port (the
 * caller decides who gets here): any other path is 404, any other method 405.
 */
export function metricsEndpoint(
  metrics: Metrics,
  errors: ErrorExit,
  headers: HeaderList,
): (req: IncomingMessage, res: ServerResponse) => void {
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isMetricsPath(req.url)) throw new ApiError(404, "not_found");
    if (req.method !== "GET" && req.method !== "HEAD") throw new ApiError(405, "method_not_allowed", { headers: { Allow: "GET, HEAD" } });
    const { contentType, body } = await metrics.scrape();
    setHeaders(res, headers);
    res.statusCode = 200;
    res.setHeader("Content-Type", contentType);
    res.setHeader("Content-Length", Buffer.byteLength(body));
    res.end(req.method === "HEAD" ? undefined : body);
  }
  return (req, res) => {
    serve(req, res).catch((error: unknown) => errors.send(req, res, error, "metrics"));
  };
}
