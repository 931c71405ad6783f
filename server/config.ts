// The one configuration reader of the session server: turns environment variables into a
// validated, frozen config. A bad value throws ConfigError naming the variable, and main.ts prints
// that one line and exits. (The reference auth service reads its own: auth-service/config.ts.)
import { randomBytes } from "node:crypto";
import path from "node:path";
import { AuthServiceConfigError, loadAuthServiceConfig, type AuthServiceConfig } from "./auth-service/config.js";
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

/** What the auth service supports of the contract's extensions (AUTH_FEATURES). */
export const AUTH_FEATURES = [
  "password-reset",
  "email-verification",
  "email-verification-required",
  "password-change",
  "passkeys",
] as const;
export type AuthFeature = (typeof AUTH_FEATURES)[number];

/** AUTH_FEATURES when the reference auth service runs in-process. */
export const REFERENCE_FEATURES: readonly AuthFeature[] = ["password-reset", "email-verification", "password-change", "passkeys"];

/** The demo's host pages for the mailed links, on the public origin, when PASSWORD_RESET_URL / EMAIL_VERIFICATION_URL are unset. */
export const DEFAULT_RESET_PATH = "/reset-password";
export const DEFAULT_VERIFY_PATH = "/verify-email";

/** The in-process reference auth service's settings: its own variables, read by its own reader (auth-service/config.ts). */
export type ReferenceServiceConfig = Pick<
  AuthServiceConfig,
  | "jwtLifetimeSeconds"
  | "refreshTokenLifetimeSeconds"
  | "issuer"
  | "audience"
  | "minPasswordLength"
  | "smtpUrl"
  | "mailFrom"
  | "requireEmailVerification"
  | "webauthnRpId"
  | "webauthnOrigins"
> & {
  /** LINK_ORIGINS as given; empty: derived at start from the link URLs (start.ts). */
  linkOrigins: string[];
};

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
  /** Gateway calls one session may have in flight at once (past it: 429). */
  gatewayMaxCallsPerSession: number;
  /** Gateway calls one upstream may have in flight or queued at once, all sessions together (past it: 429). */
  gatewayMaxCallsPerUpstream: number;
  logLevel: string;
  rateLimitWindowMs: number;
  loginFailuresPerAccount: number;
  loginFailuresPerAddress: number;
  /** How long requests in flight may finish after SIGTERM (ops/shutdown.ts). */
  shutdownTimeoutMs: number;
  /** The extensions the auth service offers (AUTH_FEATURES); a route of one that is not here answers 404. */
  authFeatures: ReadonlySet<AuthFeature>;
  /** What GET /auth/config says about e-mail verification. */
  emailVerification: "off" | "optional" | "required";
  /** PASSWORD_RESET_URL; undefined: `<public origin>/reset-password`. */
  passwordResetUrl: string | undefined;
  /** EMAIL_VERIFICATION_URL; undefined: `<public origin>/verify-email`. */
  emailVerificationUrl: string | undefined;
  /** PUBLIC_ORIGIN; undefined: the request's own origin (as the request context sees it). */
  publicOrigin: string | undefined;
  /** Reset and verification mails asked for per account in a window (RATE_LIMIT_RESET_PER_ACCOUNT). */
  mailRequestsPerAccount: number;
  /** The auth service's minimum password length, for GET /auth/config (the in-process service's MIN_PASSWORD_LENGTH). */
  minPasswordLength: number;
  /** Set when AUTH_SERVICE is unset: the in-process reference service's settings. */
  referenceService: ReferenceServiceConfig | undefined;
  /** OpenID Connect providers for "Sign in with …" (OIDC_PROVIDERS and OIDC_<ID>_*), in the order listed. */
  oidcProviders: OidcProviderConfig[];
  /** The internal listener for the reverse proxy's forward auth (`GET /auth/verify`); undefined: off. */
  forwardAuthPort: number | undefined;
  /** The listener that serves `/metrics` alone; undefined: none. */
  metricsPort: number | undefined;
  /** Socket peers (addresses, CIDRs) that may read `/metrics` on the main port; empty: nobody. */
  metricsAllow: string[];
}

export interface OidcProviderConfig {
  /** Lower-case id: the `<id>` of `/auth/oidc/<id>/…` and, upper-cased, of `OIDC_<ID>_*`. */
  id: string;
  /** The issuer identifier as given (discovery checks the provider names itself exactly so). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The button's label. */
  name: string;
  scopes: string[];
  /** Extra authorization request parameters (`audience=…`, `access_type=offline`); never one of ours. */
  authParams: Record<string, string>;
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

function parseFeatures(raw: string): Set<AuthFeature> {
  const features = new Set<AuthFeature>();
  for (const entry of raw
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    if (entry === "none") continue;
    if (!(AUTH_FEATURES as readonly string[]).includes(entry)) {
      throw new ConfigError("AUTH_FEATURES", `"${entry}" is not one of ${AUTH_FEATURES.join(", ")} (or none)`);
    }
    features.add(entry as AuthFeature);
  }
  // Requiring verification needs verification.
  if (features.has("email-verification-required")) features.add("email-verification");
  return features;
}

/** An absolute http(s) URL for a host page, without query, fragment or credentials (the auth service adds `?token=`). */
function parseLinkUrl(variable: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(variable, `"${raw}" is not an absolute URL (example: https://app.example.com/reset-password)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(variable, `"${raw}" must use http or https`);
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(variable, `"${raw}" must have no credentials, query or fragment`);
  }
  return url.href;
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

/** Authorization request parameters the session server sets itself: OIDC_<ID>_AUTH_PARAMS may not name them. */
const OWN_AUTH_PARAMS = new Set([
  "client_id",
  "redirect_uri",
  "response_type",
  "response_mode",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "request",
  "request_uri",
]);

function parseOidcProviders(get: (name: string) => string | undefined, production: boolean): OidcProviderConfig[] {
  // First the list itself (ids, issuers, duplicates), then each provider's own variables.
  const listed: Array<{ id: string; issuer: string }> = [];
  for (const entry of (get("OIDC_PROVIDERS") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf("=");
    const id = entry.slice(0, eq).trim();
    const issuer = entry.slice(eq + 1).trim();
    if (eq <= 0 || !/^[a-z][a-z0-9_]*$/.test(id)) {
      throw new ConfigError(
        "OIDC_PROVIDERS",
        `"${entry}" must look like id=https://issuer (id: lower-case letters, digits and _, starting with a letter)`,
      );
    }
    if (listed.some((provider) => provider.id === id)) throw new ConfigError("OIDC_PROVIDERS", `"${id}" is listed twice`);
    let url: URL;
    try {
      url = new URL(issuer);
    } catch {
      throw new ConfigError("OIDC_PROVIDERS", `"${issuer}" (for ${id}) is not a URL`);
    }
    if (url.protocol !== "https:" && (url.protocol !== "http:" || production)) {
      throw new ConfigError(
        "OIDC_PROVIDERS",
        `"${issuer}" (for ${id}) must use https${production ? " when NODE_ENV=production" : " (or http in development)"}`,
      );
    }
    if (url.search || url.hash || url.username || url.password) {
      throw new ConfigError("OIDC_PROVIDERS", `"${issuer}" (for ${id}) must have no query, fragment or credentials`);
    }
    listed.push({ id, issuer });
  }
  return listed.map(({ id, issuer }) => {
    const prefix = `OIDC_${id.toUpperCase()}_`;
    const clientId = get(`${prefix}CLIENT_ID`)?.trim();
    if (!clientId) throw new ConfigError(`${prefix}CLIENT_ID`, `is required for the provider "${id}" of OIDC_PROVIDERS`);
    const clientSecret = get(`${prefix}CLIENT_SECRET`)?.trim();
    if (!clientSecret) {
      throw new ConfigError(`${prefix}CLIENT_SECRET`, `is required for the provider "${id}": the session server is a confidential client`);
    }
    const scopes = (get(`${prefix}SCOPES`) ?? "openid email profile offline_access").split(/[\s,]+/).filter(Boolean);
    if (!scopes.includes("openid")) throw new ConfigError(`${prefix}SCOPES`, "must include openid");
    const authParams: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(get(`${prefix}AUTH_PARAMS`) ?? "")) {
      if (OWN_AUTH_PARAMS.has(name)) throw new ConfigError(`${prefix}AUTH_PARAMS`, `must not set ${name}: the session server sets it`);
      authParams[name] = value;
    }
    // The issuer stays as given: discovery checks that the provider names itself exactly so.
    return { id, issuer, clientId, clientSecret, name: get(`${prefix}NAME`)?.trim() || id, scopes, authParams };
  });
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

  const authService = get("AUTH_SERVICE") !== undefined ? parseOrigin("AUTH_SERVICE", get("AUTH_SERVICE")!) : undefined;
  let referenceService: ReferenceServiceConfig | undefined;
  if (authService === undefined) {
    // The in-process reference service reads its own variables with its own reader; its PORT is never the session
    // server's (it listens on a free port of its own).
    let own: AuthServiceConfig;
    try {
      own = loadAuthServiceConfig({ ...env, PORT: undefined, AUTH_SERVICE_PORT: undefined });
    } catch (error) {
      if (error instanceof AuthServiceConfigError) throw new ConfigError(...splitProblem(error.message));
      throw error;
    }
    referenceService = {
      jwtLifetimeSeconds: own.jwtLifetimeSeconds,
      refreshTokenLifetimeSeconds: own.refreshTokenLifetimeSeconds,
      issuer: own.issuer,
      audience: own.audience,
      minPasswordLength: own.minPasswordLength,
      smtpUrl: own.smtpUrl,
      mailFrom: own.mailFrom,
      requireEmailVerification: own.requireEmailVerification,
      linkOrigins: own.linkOrigins,
      webauthnRpId: own.webauthnRpId,
      webauthnOrigins: own.webauthnOrigins,
    };
  }
  const featuresRaw = get("AUTH_FEATURES");
  const authFeatures =
    featuresRaw !== undefined ? parseFeatures(featuresRaw) : new Set<AuthFeature>(authService === undefined ? REFERENCE_FEATURES : []);
  if (referenceService?.requireEmailVerification) {
    if (!authFeatures.has("email-verification")) {
      throw new ConfigError("AUTH_FEATURES", "must include email-verification when REQUIRE_EMAIL_VERIFICATION=true");
    }
    authFeatures.add("email-verification-required");
  }
  const emailVerification = authFeatures.has("email-verification-required")
    ? "required"
    : authFeatures.has("email-verification")
      ? "optional"
      : "off";
  const publicOrigin = get("PUBLIC_ORIGIN") !== undefined ? parseOrigin("PUBLIC_ORIGIN", get("PUBLIC_ORIGIN")!) : undefined;
  const passwordResetUrl =
    get("PASSWORD_RESET_URL") !== undefined ? parseLinkUrl("PASSWORD_RESET_URL", get("PASSWORD_RESET_URL")!) : undefined;
  const emailVerificationUrl =
    get("EMAIL_VERIFICATION_URL") !== undefined ? parseLinkUrl("EMAIL_VERIFICATION_URL", get("EMAIL_VERIFICATION_URL")!) : undefined;
  if (referenceService && referenceService.linkOrigins.length > 0) {
    // An explicit LINK_ORIGINS must hold every link the session server will ask for: a link refused at the first
    // reset request would otherwise only show up in a log.
    for (const [variable, url, fallbackPath] of [
      ["PASSWORD_RESET_URL", passwordResetUrl, DEFAULT_RESET_PATH],
      ["EMAIL_VERIFICATION_URL", emailVerificationUrl, DEFAULT_VERIFY_PATH],
    ] as const) {
      const origin = url !== undefined ? new URL(url).origin : publicOrigin;
      if (origin === undefined) {
        throw new ConfigError(
          variable,
          `must be set (or PUBLIC_ORIGIN) when LINK_ORIGINS is set, so its origin can be checked (default path ${fallbackPath})`,
        );
      }
      if (!referenceService.linkOrigins.includes(origin)) throw new ConfigError(variable, `its origin ${origin} is not in LINK_ORIGINS`);
    }
  }
  const minPasswordLength =
    referenceService?.minPasswordLength ?? parsePositiveInt("MIN_PASSWORD_LENGTH", get("MIN_PASSWORD_LENGTH") ?? "8", 1024);
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
    authService,
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
    gatewayMaxCallsPerSession: parsePositiveInt("GATEWAY_MAX_CALLS_PER_SESSION", get("GATEWAY_MAX_CALLS_PER_SESSION") ?? "100", 100_000),
    gatewayMaxCallsPerUpstream: parsePositiveInt(
      "GATEWAY_MAX_CALLS_PER_UPSTREAM",
      get("GATEWAY_MAX_CALLS_PER_UPSTREAM") ?? "1024",
      1_000_000,
    ),
    logLevel,
    rateLimitWindowMs: parseDuration("RATE_LIMIT_WINDOW", get("RATE_LIMIT_WINDOW") ?? "15m"),
    loginFailuresPerAccount: parsePositiveInt("RATE_LIMIT_ACCOUNT_FAILURES", get("RATE_LIMIT_ACCOUNT_FAILURES") ?? "10"),
    loginFailuresPerAddress: parsePositiveInt("RATE_LIMIT_ADDRESS_FAILURES", get("RATE_LIMIT_ADDRESS_FAILURES") ?? "100"),
    shutdownTimeoutMs: parsePositiveInt("SHUTDOWN_TIMEOUT_MS", get("SHUTDOWN_TIMEOUT_MS") ?? "10000", 600_000),
    authFeatures,
    emailVerification,
    passwordResetUrl,
    emailVerificationUrl,
    publicOrigin,
    mailRequestsPerAccount: parsePositiveInt("RATE_LIMIT_RESET_PER_ACCOUNT", get("RATE_LIMIT_RESET_PER_ACCOUNT") ?? "5"),
    minPasswordLength,
    referenceService,
    oidcProviders: parseOidcProviders(get, production),
    forwardAuthPort,
    metricsPort,
    metricsAllow: parseAddressList("METRICS_ALLOW", get("METRICS_ALLOW") ?? ""),
  });
}

/** "VARIABLE: problem" back into its two halves (the reference service's error, named as ours). */
function splitProblem(message: string): [string, string] {
  const colon = message.indexOf(": ");
  return colon > 0 ? [message.slice(0, colon), message.slice(colon + 2)] : ["AUTH_SERVICE", message];
}
