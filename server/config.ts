// The one configuration reader of the session server: turns environment variables into a
// validated, frozen config. A bad value throws ConfigError naming the variable, and main.ts prints
// that one line and exits. (The reference auth service reads its own: auth-service/config.ts.)
import { randomBytes } from "node:crypto";
import path from "node:path";
import proxyAddr from "proxy-addr";

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
  }
}

export interface Upstream {
  name: string;
  /** Origin plus base path, without a trailing slash: `http://127.0.0.1:4000/base`. */
  origin: string;
  basePath: string;
}

export interface Config {
  production: boolean;
  port: number;
  host: string;
  /** Origin of the external auth service; undefined: start the reference one in-process. */
  authService: string | undefined;
  authTimeoutMs: number;
  upstreamTimeoutMs: number;
  redisUrl: string | undefined;
  /** Redis Cluster seed nodes (`REDIS_CLUSTER_NODES`), when scaling out on a cluster. */
  redisClusterNodes: string[];
  /** Redis Sentinels (`REDIS_SENTINELS`) and the master's name, when Redis is highly available that way. */
  redisSentinels: RedisNodeAddress[];
  redisSentinelName: string | undefined;
  /** Password of the Redis servers (`REDIS_PASSWORD`); with REDIS_URL it may be in the URL instead. */
  redisPassword: string | undefined;
  /** Password of the Sentinels themselves (`REDIS_SENTINEL_PASSWORD`). */
  redisSentinelPassword: string | undefined;
  /** Deadline of every Redis operation: past it the request gets 503 instead of waiting. */
  redisTimeoutMs: number;
  sessionSecrets: string[];
  /** True when SESSION_SECRET was not given and a random one was made for this start. */
  sessionSecretGenerated: boolean;
  sessionIdleTimeoutMs: number;
  sessionAbsoluteTimeoutMs: number;
  upstreams: Map<string, Upstream>;
  /** Exact origins; empty: only the server's own origin (as the request's Host shows it). */
  allowedOrigins: string[];
  trustProxy: boolean | number | string | undefined;
  dataDir: string;
  cookieSecure: boolean;
  cookieName: string;
  authPrefix: string;
  bodyLimitBytes: number;
  gatewayBodyLimitBytes: number;
  logLevel: string;
  rateLimitWindowMs: number;
  loginFailuresPerAccount: number;
  loginFailuresPerAddress: number;
  /** How long requests in flight may finish after SIGTERM (ops/shutdown.ts). */
  shutdownTimeoutMs: number;
  /** The internal listener for the reverse proxy's forward auth (`GET /auth/verify`); undefined: off. */
  forwardAuthPort: number | undefined;
  /** The listener that serves `/metrics` alone; undefined: none. */
  metricsPort: number | undefined;
  /** Socket peers (addresses, CIDRs) that may read `/metrics` on the main port; empty: nobody. */
  metricsAllow: string[];
}

export interface RedisNodeAddress {
  host: string;
  port: number;
}

type Env = Record<string, string | undefined>;

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses `90`, `90s`, `15m`, `12h`, `7d`, `250ms` into milliseconds (a bare number means seconds). */
export function parseDuration(variable: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new ConfigError(variable, `"${raw}" is not a duration (examples: 90s, 15m, 12h, 7d)`);
  const value = Number(match[1]) * DURATION_UNITS[match[2] ?? "s"]!;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(variable, `"${raw}" must be positive`);
  return Math.round(value);
}

export function parsePositiveInt(variable: string, raw: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(variable, `"${raw}" is not a whole number`);
  const value = Number(raw);
  if (value <= 0 || value > max) throw new ConfigError(variable, `"${raw}" must be between 1 and ${max}`);
  return value;
}

export function parsePort(variable: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(variable, `"${raw}" is not a port number`);
  const value = Number(raw);
  if (value > 65535) throw new ConfigError(variable, `"${raw}" is not a port number (0-65535)`);
  return value;
}

export function parseOrigin(variable: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(variable, `"${raw}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(variable, `"${raw}" must use http or https`);
  }
  if (url.username || url.password) throw new ConfigError(variable, `"${raw}" must not carry credentials`);
  return url.origin;
}

function parseBoolean(variable: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(variable, `"${raw}" is not true or false`);
}

function parseUpstreams(raw: string): Map<string, Upstream> {
  const upstreams = new Map<string, Upstream>();
  for (const entry of raw
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf("=");
    const name = entry.slice(0, eq).trim();
    const target = entry.slice(eq + 1).trim();
    if (eq <= 0 || !/^[a-z0-9][a-z0-9_-]*$/i.test(name)) {
      throw new ConfigError("UPSTREAMS", `"${entry}" must look like name=http://host:port/base (name: letters, digits, - and _)`);
    }
    if (upstreams.has(name)) throw new ConfigError("UPSTREAMS", `"${name}" is listed twice`);
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new ConfigError("UPSTREAMS", `"${target}" (for ${name}) is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ConfigError("UPSTREAMS", `"${target}" (for ${name}) must use http or https`);
    }
    if (url.search || url.hash || url.username || url.password) {
      throw new ConfigError("UPSTREAMS", `"${target}" (for ${name}) must have no query, fragment or credentials`);
    }
    upstreams.set(name, { name, origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") });
  }
  return upstreams;
}

/** `host:port` or `[v6]:port`. */
function parseNodeAddress(variable: string, raw: string): RedisNodeAddress {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]]+)):(\d+)$/i.exec(raw.trim());
  if (!match) throw new ConfigError(variable, `"${raw}" is not host:port`);
  return { host: match[1] ?? match[2]!, port: parsePort(variable, match[3]!) };
}

/** Addresses and CIDR subnets (`127.0.0.1`, `10.0.0.0/8`, `::1`), as proxy-addr compiles them. */
function parseAddressList(variable: string, raw: string): string[] {
  const entries = raw
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    try {
      proxyAddr.compile(entry);
    } catch {
      throw new ConfigError(variable, `"${entry}" is not an IP address or subnet (examples: 10.0.0.5, 10.0.0.0/8, ::1)`);
    }
  }
  return entries;
}

function parseTrustProxy(raw: string): boolean | number | string {
  const value = raw.trim();
  if (/^\d+$/.test(value)) return Number(value);
  if (value === "true") return true;
  if (value === "false") return false;
  if (!value) throw new ConfigError("TRUST_PROXY", "must not be empty when set");
  return value; // express also takes "loopback", addresses and subnets
}

/** Reads and validates the session server's configuration. Throws ConfigError on the first bad value. */
export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === "production";
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value;
  };

  const secretRaw = get("SESSION_SECRET");
  let sessionSecrets: string[];
  let sessionSecretGenerated = false;
  if (secretRaw === undefined) {
    if (production) throw new ConfigError("SESSION_SECRET", "is required when NODE_ENV=production (at least 32 bytes)");
    sessionSecrets = [randomBytes(32).toString("base64url")];
    sessionSecretGenerated = true;
  } else {
    sessionSecrets = secretRaw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (sessionSecrets.length === 0) throw new ConfigError("SESSION_SECRET", "must name at least one secret");
    if (production && sessionSecrets.some((s) => Buffer.byteLength(s) < 32)) {
      throw new ConfigError("SESSION_SECRET", "every secret must be at least 32 bytes when NODE_ENV=production");
    }
  }

  const redisUrl = get("REDIS_URL");
  if (redisUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(redisUrl);
    } catch {
      throw new ConfigError("REDIS_URL", "is not a URL (example: redis://127.0.0.1:6379)");
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
      throw new ConfigError("REDIS_URL", "must start with redis:// or rediss://");
    }
  }
  const clusterRaw = get("REDIS_CLUSTER_NODES");
  const redisClusterNodes = clusterRaw
    ? clusterRaw
        .split(",")
        .map((node) => node.trim())
        .filter(Boolean)
        .map((node) => {
          const withScheme = /^rediss?:\/\//.test(node) ? node : `redis://${node}`;
          try {
            new URL(withScheme);
          } catch {
            throw new ConfigError("REDIS_CLUSTER_NODES", `"${node}" is not host:port`);
          }
          return withScheme;
        })
    : [];
  const sentinelsRaw = get("REDIS_SENTINELS");
  const redisSentinels = sentinelsRaw
    ? sentinelsRaw
        .split(",")
        .map((node) => node.trim())
        .filter(Boolean)
        .map((node) => parseNodeAddress("REDIS_SENTINELS", node))
    : [];
  // One Redis topology at a time: which one was meant cannot be guessed.
  const topologies = (
    [
      ["REDIS_URL", redisUrl !== undefined],
      ["REDIS_SENTINELS", redisSentinels.length > 0],
      ["REDIS_CLUSTER_NODES", redisClusterNodes.length > 0],
    ] as const
  )
    .filter(([, set]) => set)
    .map(([name]) => name);
  if (topologies.length > 1) {
    throw new ConfigError(
      topologies[0]!,
      `is set together with ${topologies.slice(1).join(" and ")}: they exclude each other, set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES`,
    );
  }
  const redisSentinelName = get("REDIS_SENTINEL_NAME")?.trim();
  const redisSentinelPassword = get("REDIS_SENTINEL_PASSWORD");
  if (redisSentinels.length > 0 && redisSentinelName === undefined) {
    throw new ConfigError("REDIS_SENTINEL_NAME", "is required with REDIS_SENTINELS (the master name the Sentinels monitor)");
  }
  for (const [name, value] of [
    ["REDIS_SENTINEL_NAME", redisSentinelName],
    ["REDIS_SENTINEL_PASSWORD", redisSentinelPassword],
  ] as const) {
    if (value !== undefined && redisSentinels.length === 0) throw new ConfigError(name, "needs REDIS_SENTINELS");
  }
  const redisPassword = get("REDIS_PASSWORD");
  if (redisPassword !== undefined && redisUrl !== undefined && new URL(redisUrl).password) {
    throw new ConfigError("REDIS_PASSWORD", "REDIS_URL carries a password already: set it in one place");
  }
  if (redisPassword !== undefined && topologies.length === 0) {
    throw new ConfigError("REDIS_PASSWORD", "needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES");
  }

  if (production && topologies.length === 0 && get("ALLOW_EMBEDDED_STORE") !== "true") {
    // The embedded store is a single file on one machine: fine for a demo, not for production.
    throw new ConfigError(
      "REDIS_URL",
      "is required when NODE_ENV=production, or REDIS_SENTINELS or REDIS_CLUSTER_NODES (the embedded store is for development; set ALLOW_EMBEDDED_STORE=true to run one instance on it anyway)",
    );
  }

  const cookieSecureRaw = get("COOKIE_SECURE");
  const cookieSecure = cookieSecureRaw !== undefined ? parseBoolean("COOKIE_SECURE", cookieSecureRaw) : production;

  const allowedOriginsRaw = get("ALLOWED_ORIGINS");
  const allowedOrigins = allowedOriginsRaw
    ? allowedOriginsRaw
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean)
        .map((o) => {
          if (o === "*" || o === "null") throw new ConfigError("ALLOWED_ORIGINS", `"${o}" is not allowed: list exact origins`);
          return parseOrigin("ALLOWED_ORIGINS", o);
        })
    : [];

  const trustProxyRaw = env.TRUST_PROXY;
  const authPrefix = get("AUTH_PREFIX") ?? "/auth";
  if (!/^\/[a-z0-9/_-]*[a-z0-9_-]$/i.test(authPrefix)) throw new ConfigError("AUTH_PREFIX", `"${authPrefix}" must be a path like /auth`);

  const logLevel = get("LOG_LEVEL") ?? "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL", `"${logLevel}" is not one of fatal, error, warn, info, debug, trace, silent`);
  }

  const port = parsePort("PORT", get("PORT") ?? "3000");
  const optionalPort = (name: string): number | undefined => {
    const raw = get(name);
    return raw === undefined ? undefined : parsePort(name, raw);
  };
  const forwardAuthPort = optionalPort("FORWARD_AUTH_PORT");
  const metricsPort = optionalPort("METRICS_PORT");
  // Port 0 (any free port, for tests) may repeat; a fixed port is one listener's alone.
  const listeners: Array<[string, number | undefined]> = [
    ["PORT", port],
    ["FORWARD_AUTH_PORT", forwardAuthPort],
    ["METRICS_PORT", metricsPort],
  ];
  listeners.forEach(([name, value], index) => {
    const clash = listeners.slice(0, index).find(([, earlier]) => value !== undefined && value !== 0 && earlier === value);
    if (clash) throw new ConfigError(name, `${value} is ${clash[0]} already: each listener needs its own port`);
  });

  const idle = parseDuration("SESSION_IDLE_TIMEOUT", get("SESSION_IDLE_TIMEOUT") ?? "7d");
  const absolute = parseDuration("SESSION_ABSOLUTE_TIMEOUT", get("SESSION_ABSOLUTE_TIMEOUT") ?? "30d");

  return Object.freeze({
    production,
    port,
    host: get("HOST") ?? "127.0.0.1",
    authService: get("AUTH_SERVICE") !== undefined ? parseOrigin("AUTH_SERVICE", get("AUTH_SERVICE")!) : undefined,
    authTimeoutMs: parsePositiveInt("AUTH_TIMEOUT_MS", get("AUTH_TIMEOUT_MS") ?? "5000", 600_000),
    upstreamTimeoutMs: parsePositiveInt("UPSTREAM_TIMEOUT_MS", get("UPSTREAM_TIMEOUT_MS") ?? "10000", 600_000),
    redisUrl,
    redisClusterNodes,
    redisSentinels,
    redisSentinelName,
    redisPassword,
    redisSentinelPassword,
    redisTimeoutMs: parsePositiveInt("REDIS_TIMEOUT_MS", get("REDIS_TIMEOUT_MS") ?? "500", 60_000),
    sessionSecrets,
    sessionSecretGenerated,
    sessionIdleTimeoutMs: idle,
    sessionAbsoluteTimeoutMs: Math.max(absolute, 1),
    upstreams: parseUpstreams(get("UPSTREAMS") ?? ""),
    allowedOrigins,
    trustProxy: trustProxyRaw !== undefined ? parseTrustProxy(trustProxyRaw) : undefined,
    dataDir: path.resolve(get("DATA_DIR") ?? "./data"),
    cookieSecure,
    cookieName: cookieSecure ? "__Host-auth.sid" : "auth.sid",
    authPrefix,
    bodyLimitBytes: parsePositiveInt("BODY_LIMIT_BYTES", get("BODY_LIMIT_BYTES") ?? "16384"),
    gatewayBodyLimitBytes: parsePositiveInt("GATEWAY_BODY_LIMIT_BYTES", get("GATEWAY_BODY_LIMIT_BYTES") ?? String(1024 * 1024)),
    logLevel,
    rateLimitWindowMs: parseDuration("RATE_LIMIT_WINDOW", get("RATE_LIMIT_WINDOW") ?? "15m"),
    loginFailuresPerAccount: parsePositiveInt("RATE_LIMIT_ACCOUNT_FAILURES", get("RATE_LIMIT_ACCOUNT_FAILURES") ?? "10"),
    loginFailuresPerAddress: parsePositiveInt("RATE_LIMIT_ADDRESS_FAILURES", get("RATE_LIMIT_ADDRESS_FAILURES") ?? "100"),
    shutdownTimeoutMs: parsePositiveInt("SHUTDOWN_TIMEOUT_MS", get("SHUTDOWN_TIMEOUT_MS") ?? "10000", 600_000),
    forwardAuthPort,
    metricsPort,
    metricsAllow: parseAddressList("METRICS_ALLOW", get("METRICS_ALLOW") ?? ""),
  });
}
