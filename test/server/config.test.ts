// Configuration (design.md's table, security 25): loadConfig names the variable of any bad value, production
// refuses a missing or short secret and the embedded store, and the real entry point (server/main.ts) prints one
// line naming the variable and exits 1, or prints exactly one line with its URL.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.js";
import { removeTempDirs, tempDataDir } from "../helpers/session-server.js";

const SECRET_32 = "s".repeat(32);

afterAll(() => removeTempDirs());

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  it("defaults match design.md", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      authService: undefined,
      authTimeoutMs: 5000,
      upstreamTimeoutMs: 10000,
      redisUrl: undefined,
      sessionIdleTimeoutMs: 7 * 86_400_000,
      sessionAbsoluteTimeoutMs: 30 * 86_400_000,
      allowedOrigins: [],
      trustProxy: undefined,
      dataDir: path.resolve("./data"),
      cookieSecure: false,
      cookieName: "auth.sid",
      authPrefix: "/auth",
      sessionSecretGenerated: true,
    });
    expect(config.upstreams.size).toBe(0);
    expect(Buffer.byteLength(config.sessionSecrets[0]!)).toBeGreaterThanOrEqual(32);
    // A random secret per start.
    expect(loadConfig({}).sessionSecrets[0]).not.toBe(config.sessionSecrets[0]);
  });

  it("reads every documented variable", () => {
    const config = loadConfig({
      PORT: "8080",
      HOST: "0.0.0.0",
      AUTH_SERVICE: "https://auth.example.com/ignored/path",
      AUTH_TIMEOUT_MS: "1500",
      UPSTREAM_TIMEOUT_MS: "2500",
      REDIS_URL: "redis://127.0.0.1:6390/2",
      SESSION_SECRET: "new-secret-of-enough-length-000000, old-secret-of-enough-length-11111",
      SESSION_IDLE_TIMEOUT: "15m",
      SESSION_ABSOLUTE_TIMEOUT: "12h",
      UPSTREAMS: "notes=http://127.0.0.1:4000/base/, todo=https://todo.internal",
      ALLOWED_ORIGINS: "https://app.example.com, http://localhost:5173",
      TRUST_PROXY: "1",
      DATA_DIR: "/tmp/ae-data",
    });
    expect(config).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      authService: "https://auth.example.com",
      authTimeoutMs: 1500,
      upstreamTimeoutMs: 2500,
      redisUrl: "redis://127.0.0.1:6390/2",
      sessionSecrets: ["new-secret-of-enough-length-000000", "old-secret-of-enough-length-11111"],
      sessionSecretGenerated: false,
      sessionIdleTimeoutMs: 15 * 60_000,
      sessionAbsoluteTimeoutMs: 12 * 3_600_000,
      allowedOrigins: ["https://app.example.com", "http://localhost:5173"],
      trustProxy: 1,
      dataDir: "/tmp/ae-data",
    });
    expect(config.upstreams.get("notes")).toEqual({ name: "notes", origin: "http://127.0.0.1:4000", basePath: "/base" });
    expect(config.upstreams.get("todo")).toEqual({ name: "todo", origin: "https://todo.internal", basePath: "" });
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PORT", "-1"],
    ["PORT", "80.5"],
    ["AUTH_TIMEOUT_MS", "0"],
    ["AUTH_TIMEOUT_MS", "abc"],
    ["AUTH_TIMEOUT_MS", "1.5"],
    ["AUTH_TIMEOUT_MS", "-100"],
    ["UPSTREAM_TIMEOUT_MS", "soon"],
    ["SESSION_IDLE_TIMEOUT", "forever"],
    ["SESSION_IDLE_TIMEOUT", "0s"],
    ["SESSION_IDLE_TIMEOUT", "-5m"],
    ["SESSION_IDLE_TIMEOUT", "7 days"],
    ["SESSION_ABSOLUTE_TIMEOUT", "1y"],
    ["UPSTREAMS", "notes"],
    ["UPSTREAMS", "=http://127.0.0.1:4000"],
    ["UPSTREAMS", "notes=not a url"],
    ["UPSTREAMS", "notes=ftp://127.0.0.1/files"],
    ["UPSTREAMS", "notes=http://127.0.0.1:4000/base?x=1"],
    ["UPSTREAMS", "notes=http://user:pw@127.0.0.1:4000"],
    ["UPSTREAMS", "notes=http://a,notes=http://b"],
    ["UPSTREAMS", "bad name=http://127.0.0.1"],
    ["UPSTREAMS", "../x=http://127.0.0.1"],
    ["REDIS_URL", "localhost:6379"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["REDIS_URL", "not a url"],
    ["ALLOWED_ORIGINS", "*"],
    ["ALLOWED_ORIGINS", "null"],
    ["ALLOWED_ORIGINS", "https://ok.example.com,not a url"],
    ["ALLOWED_ORIGINS", "ftp://files.example.com"],
    ["ALLOWED_ORIGINS", "https://user:pw@app.example.com"],
    ["AUTH_SERVICE", "auth.example.com"],
    ["AUTH_SERVICE", "file:///etc/passwd"],
    ["COOKIE_SECURE", "maybe"],
    ["LOG_LEVEL", "loud"],
    ["RATE_LIMIT_WINDOW", "often"],
    ["RATE_LIMIT_ACCOUNT_FAILURES", "0"],
    ["AUTH_PREFIX", "auth"],
    ["AUTH_FEATURES", "password-reset,teleportation"],
    ["PASSWORD_RESET_URL", "/reset-password"],
    ["PASSWORD_RESET_URL", "https://app.example.com/reset?next=/x"],
    ["EMAIL_VERIFICATION_URL", "ftp://app.example.com/verify"],
    ["PUBLIC_ORIGIN", "app.example.com"],
    ["RATE_LIMIT_RESET_PER_ACCOUNT", "0"],
    ["RATE_LIMIT_RESET_PER_ACCOUNT", "five"],
    ["SMTP_URL", "mail.example.com:25"],
    ["SMTP_URL", "http://mail.example.com"],
    ["MAIL_FROM", "nobody"],
    ["LINK_ORIGINS", "not an origin"],
    ["REQUIRE_EMAIL_VERIFICATION", "perhaps"],
    ["FORWARD_AUTH_PORT", "internal"],
    ["METRICS_PORT", "70000"],
    ["METRICS_ALLOW", "prometheus.internal"],
    ["METRICS_ALLOW", "10.0.0.0/33"],
    ["METRICS_ALLOW", "127.0.0.1,*"],
    ["REDIS_SENTINELS", "sentinel-1"],
    ["REDIS_SENTINELS", "sentinel-1:26379,sentinel-2:port"],
    ["REDIS_SENTINELS", "redis://sentinel-1:26379"],
  ])("%s=%j throws ConfigError naming the variable", (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toContain("\n");
  });

  it("account lifecycle defaults: the in-process reference service offers every extension, an external one none", () => {
    const inProcess = loadConfig({});
    expect([...inProcess.authFeatures].sort()).toEqual(["email-verification", "passkeys", "password-change", "password-reset"]);
    expect(inProcess).toMatchObject({
      emailVerification: "optional",
      passwordResetUrl: undefined,
      emailVerificationUrl: undefined,
      publicOrigin: undefined,
      mailRequestsPerAccount: 5,
      minPasswordLength: 8,
    });
    expect(inProcess.referenceService).toMatchObject({ smtpUrl: undefined, linkOrigins: [], requireEmailVerification: false });
    const external = loadConfig({ AUTH_SERVICE: "https://auth.example.com" });
    expect([...external.authFeatures]).toEqual([]);
    expect(external.emailVerification).toBe("off");
    expect(external.referenceService).toBeUndefined();
  });

  it("reads AUTH_FEATURES, the link URLs, PUBLIC_ORIGIN, RATE_LIMIT_RESET_PER_ACCOUNT and the in-process service's mail settings", () => {
    const external = loadConfig({
      AUTH_SERVICE: "https://auth.example.com",
      AUTH_FEATURES: "password-reset, email-verification-required",
      PASSWORD_RESET_URL: "https://app.example.com/account/reset",
      EMAIL_VERIFICATION_URL: "https://app.example.com/account/verify",
      PUBLIC_ORIGIN: "https://app.example.com",
      RATE_LIMIT_RESET_PER_ACCOUNT: "3",
      MIN_PASSWORD_LENGTH: "12",
    });
    expect([...external.authFeatures].sort()).toEqual(["email-verification", "email-verification-required", "password-reset"]);
    expect(external).toMatchObject({
      emailVerification: "required",
      passwordResetUrl: "https://app.example.com/account/reset",
      emailVerificationUrl: "https://app.example.com/account/verify",
      publicOrigin: "https://app.example.com",
      mailRequestsPerAccount: 3,
      minPasswordLength: 12,
    });
    expect([...loadConfig({ AUTH_SERVICE: "https://auth.example.com", AUTH_FEATURES: "none" }).authFeatures]).toEqual([]);
    const inProcess = loadConfig({
      SMTP_URL: "smtp://user:pass@mail.example.com:587",
      MAIL_FROM: "Example <no-reply@example.com>",
      LINK_ORIGINS: "https://app.example.com",
      PUBLIC_ORIGIN: "https://app.example.com",
      REQUIRE_EMAIL_VERIFICATION: "true",
      MIN_PASSWORD_LENGTH: "10",
    });
    expect(inProcess.emailVerification).toBe("required");
    expect(inProcess.minPasswordLength).toBe(10);
    expect(inProcess.referenceService).toMatchObject({
      smtpUrl: "smtp://user:pass@mail.example.com:587",
      mailFrom: "Example <no-reply@example.com>",
      linkOrigins: ["https://app.example.com"],
      requireEmailVerification: true,
    });
  });

  it.each([
    [{ LINK_ORIGINS: "https://app.example.com", PASSWORD_RESET_URL: "https://evil.example.com/reset" }, "PASSWORD_RESET_URL"],
    [{ LINK_ORIGINS: "https://app.example.com", PUBLIC_ORIGIN: "https://other.example.com" }, "PASSWORD_RESET_URL"],
    [
      {
        LINK_ORIGINS: "https://app.example.com",
        PASSWORD_RESET_URL: "https://app.example.com/reset",
        EMAIL_VERIFICATION_URL: "https://mail.example.com/verify",
      },
      "EMAIL_VERIFICATION_URL",
    ],
    [{ REQUIRE_EMAIL_VERIFICATION: "true", AUTH_FEATURES: "password-reset" }, "AUTH_FEATURES"],
  ])("a link URL outside an explicit LINK_ORIGINS, or verification required but off: ConfigError naming %j's culprit", (env, variable) => {
    expect(configError(env).message.startsWith(`${variable}: `)).toBe(true);
  });

  it("reads the forward-auth, metrics and Sentinel variables", () => {
    const config = loadConfig({
      FORWARD_AUTH_PORT: "4180",
      METRICS_PORT: "9464",
      METRICS_ALLOW: "10.0.0.5, 10.1.0.0/16,::1",
      REDIS_SENTINELS: "sentinel-1:26379, 10.0.0.7:26380,[fd00::7]:26381",
      REDIS_SENTINEL_NAME: "sessions",
      REDIS_PASSWORD: "data-secret",
      REDIS_SENTINEL_PASSWORD: "sentinel-secret",
    });
    expect(config).toMatchObject({
      forwardAuthPort: 4180,
      metricsPort: 9464,
      metricsAllow: ["10.0.0.5", "10.1.0.0/16", "::1"],
      redisUrl: undefined,
      redisSentinels: [
        { host: "sentinel-1", port: 26379 },
        { host: "10.0.0.7", port: 26380 },
        { host: "fd00::7", port: 26381 },
      ],
      redisSentinelName: "sessions",
      redisPassword: "data-secret",
      redisSentinelPassword: "sentinel-secret",
    });
    expect(loadConfig({})).toMatchObject({ forwardAuthPort: undefined, metricsPort: undefined, metricsAllow: [], redisSentinels: [] });
  });

  it("REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other: any two set is a ConfigError naming them", () => {
    const url = { REDIS_URL: "redis://127.0.0.1:6390" };
    const sentinels = { REDIS_SENTINELS: "127.0.0.1:26379", REDIS_SENTINEL_NAME: "mymaster" };
    const cluster = { REDIS_CLUSTER_NODES: "127.0.0.1:7000,127.0.0.1:7001" };
    for (const [env, names] of [
      [{ ...url, ...sentinels }, ["REDIS_URL", "REDIS_SENTINELS"]],
      [{ ...url, ...cluster }, ["REDIS_URL", "REDIS_CLUSTER_NODES"]],
      [{ ...sentinels, ...cluster }, ["REDIS_SENTINELS", "REDIS_CLUSTER_NODES"]],
      [{ ...url, ...sentinels, ...cluster }, ["REDIS_URL", "REDIS_SENTINELS", "REDIS_CLUSTER_NODES"]],
    ] as const) {
      const message = configError(env).message;
      expect(message.startsWith(`${names[0]}: `)).toBe(true);
      for (const name of names) expect(message).toContain(name);
      expect(message).not.toContain("\n");
    }
  });

  it("REDIS_SENTINELS needs REDIS_SENTINEL_NAME, the Sentinel settings need REDIS_SENTINELS, and REDIS_PASSWORD a Redis", () => {
    expect(configError({ REDIS_SENTINELS: "127.0.0.1:26379" }).message).toMatch(/^REDIS_SENTINEL_NAME: .*required/);
    expect(configError({ REDIS_SENTINEL_NAME: "mymaster" }).message).toMatch(/^REDIS_SENTINEL_NAME: .*REDIS_SENTINELS/);
    expect(configError({ REDIS_URL: "redis://127.0.0.1:6390", REDIS_SENTINEL_PASSWORD: "x" }).message).toMatch(
      /^REDIS_SENTINEL_PASSWORD: /,
    );
    expect(configError({ REDIS_PASSWORD: "x" }).message).toMatch(/^REDIS_PASSWORD: /);
    expect(configError({ REDIS_URL: "redis://:inline@127.0.0.1:6390", REDIS_PASSWORD: "x" }).message).toMatch(
      /^REDIS_PASSWORD: .*one place/,
    );
    expect(loadConfig({ REDIS_URL: "redis://127.0.0.1:6390", REDIS_PASSWORD: "x" }).redisPassword).toBe("x");
  });

  it("each listener needs its own port: FORWARD_AUTH_PORT or METRICS_PORT equal to another is a ConfigError", () => {
    expect(configError({ PORT: "8080", FORWARD_AUTH_PORT: "8080" }).message).toMatch(/^FORWARD_AUTH_PORT: 8080 is PORT/);
    expect(configError({ FORWARD_AUTH_PORT: "4180", METRICS_PORT: "4180" }).message).toMatch(/^METRICS_PORT: 4180 is FORWARD_AUTH_PORT/);
    expect(configError({ METRICS_PORT: "3000" }).message).toMatch(/^METRICS_PORT: 3000 is PORT/);
    // Port 0 asks for any free port, so it may repeat.
    expect(loadConfig({ PORT: "0", FORWARD_AUTH_PORT: "0", METRICS_PORT: "0" })).toMatchObject({ forwardAuthPort: 0, metricsPort: 0 });
  });

  it("a ConfigError message says what is wrong, on one line", () => {
    expect(configError({ PORT: "abc" }).message).toBe('PORT: "abc" is not a port number');
    expect(configError({ REDIS_URL: "http://127.0.0.1:6379" }).message).toMatch(/^REDIS_URL: .*redis:\/\//);
  });
});

describe("OpenID Connect providers (OIDC_PROVIDERS, OIDC_<ID>_*, PUBLIC_ORIGIN)", () => {
  const keycloak = {
    OIDC_PROVIDERS: "keycloak=https://sso.example.com/realms/main, google=https://accounts.google.com",
    OIDC_KEYCLOAK_CLIENT_ID: "auth-elements",
    OIDC_KEYCLOAK_CLIENT_SECRET: "kc-secret",
    OIDC_GOOGLE_CLIENT_ID: "123.apps.googleusercontent.com",
    OIDC_GOOGLE_CLIENT_SECRET: "g-secret",
  };

  it("none by default, and PUBLIC_ORIGIN unset: each request's own origin", () => {
    const config = loadConfig({});
    expect(config.oidcProviders).toEqual([]);
    expect(config.publicOrigin).toBeUndefined();
  });

  it("reads each provider in order, with the name defaulting to the id and the default scopes", () => {
    const config = loadConfig({
      ...keycloak,
      OIDC_GOOGLE_NAME: "Google",
      OIDC_GOOGLE_SCOPES: "openid email profile",
      OIDC_GOOGLE_AUTH_PARAMS: "access_type=offline&prompt=consent",
      PUBLIC_ORIGIN: "https://app.example.com/ignored",
    });
    expect(config.oidcProviders).toEqual([
      {
        id: "keycloak",
        issuer: "https://sso.example.com/realms/main",
        clientId: "auth-elements",
        clientSecret: "kc-secret",
        name: "keycloak",
        scopes: ["openid", "email", "profile", "offline_access"],
        authParams: {},
      },
      {
        id: "google",
        // As given: Google names itself without a trailing slash, and discovery checks it exactly.
        issuer: "https://accounts.google.com",
        clientId: "123.apps.googleusercontent.com",
        clientSecret: "g-secret",
        name: "Google",
        scopes: ["openid", "email", "profile"],
        authParams: { access_type: "offline", prompt: "consent" },
      },
    ]);
    expect(config.publicOrigin).toBe("https://app.example.com");
  });

  it.each([
    [{ OIDC_PROVIDERS: "keycloak" }, "OIDC_PROVIDERS"],
    [{ OIDC_PROVIDERS: "=https://sso.example.com" }, "OIDC_PROVIDERS"],
    [{ OIDC_PROVIDERS: "Keycloak=https://sso.example.com" }, "OIDC_PROVIDERS"],
    [{ OIDC_PROVIDERS: "my-idp=https://sso.example.com" }, "OIDC_PROVIDERS"],
    [{ OIDC_PROVIDERS: "keycloak=not a url" }, "OIDC_PROVIDERS"],
    [{ OIDC_PROVIDERS: "keycloak=ftp://sso.example.com" }, "OIDC_PROVIDERS"],
    [{ OIDC_PROVIDERS: "keycloak=https://sso.example.com/?x=1" }, "OIDC_PROVIDERS"],
    [{ OIDC_PROVIDERS: "keycloak=https://a.example.com,keycloak=https://b.example.com" }, "OIDC_PROVIDERS"],
    [{ OIDC_PROVIDERS: "keycloak=https://sso.example.com" }, "OIDC_KEYCLOAK_CLIENT_ID"],
    [{ OIDC_PROVIDERS: "keycloak=https://sso.example.com", OIDC_KEYCLOAK_CLIENT_ID: "x" }, "OIDC_KEYCLOAK_CLIENT_SECRET"],
    [{ ...keycloak, OIDC_KEYCLOAK_SCOPES: "email profile" }, "OIDC_KEYCLOAK_SCOPES"],
    [{ ...keycloak, OIDC_KEYCLOAK_AUTH_PARAMS: "redirect_uri=https://evil.example" }, "OIDC_KEYCLOAK_AUTH_PARAMS"],
    [{ ...keycloak, OIDC_KEYCLOAK_AUTH_PARAMS: "audience=x&state=fixed" }, "OIDC_KEYCLOAK_AUTH_PARAMS"],
    [{ PUBLIC_ORIGIN: "app.example.com" }, "PUBLIC_ORIGIN"],
  ])("%j throws ConfigError naming %s", (env, variable) => {
    expect(configError(env as Record<string, string>).message.startsWith(`${variable}: `)).toBe(true);
  });

  it("an http issuer is for development: production wants https", () => {
    const http = { OIDC_PROVIDERS: "dev=http://127.0.0.1:9000", OIDC_DEV_CLIENT_ID: "x", OIDC_DEV_CLIENT_SECRET: "y" };
    expect(loadConfig(http).oidcProviders[0]!.issuer).toBe("http://127.0.0.1:9000");
    const production = { ...http, NODE_ENV: "production", SESSION_SECRET: SECRET_32, REDIS_URL: "redis://127.0.0.1:6390" };
    expect(configError(production).message).toMatch(/^OIDC_PROVIDERS: .*https/);
  });
});

describe("security 25: production refuses unsafe settings", () => {
  const production = { NODE_ENV: "production", REDIS_URL: "redis://127.0.0.1:6390" };

  it("a missing SESSION_SECRET", () => {
    expect(configError(production).message).toMatch(/^SESSION_SECRET: .*required/);
    expect(configError({ ...production, SESSION_SECRET: "   " }).message).toMatch(/^SESSION_SECRET: /);
  });

  it("a SESSION_SECRET under 32 bytes, also as an old secret in the list", () => {
    expect(configError({ ...production, SESSION_SECRET: "s".repeat(31) }).message).toMatch(/^SESSION_SECRET: .*32 bytes/);
    expect(configError({ ...production, SESSION_SECRET: `${SECRET_32},short` }).message).toMatch(/^SESSION_SECRET: /);
    expect(configError({ ...production, SESSION_SECRET: " , " }).message).toMatch(/^SESSION_SECRET: /);
  });

  it("the embedded store: a missing REDIS_URL", () => {
    expect(configError({ NODE_ENV: "production", SESSION_SECRET: SECRET_32 }).message).toMatch(/^REDIS_URL: .*required/);
  });

  it("accepts a 32-byte secret with Redis, and then the cookie is Secure with the __Host- name", () => {
    const config = loadConfig({ ...production, SESSION_SECRET: SECRET_32 });
    expect(config.production).toBe(true);
    expect(config.cookieSecure).toBe(true);
    expect(config.cookieName).toBe("__Host-auth.sid");
    expect(config.sessionSecretGenerated).toBe(false);
    // 32 bytes, counted as bytes: 11 three-byte characters are enough, 16 two-byte ones exactly.
    expect(() => loadConfig({ ...production, SESSION_SECRET: "é".repeat(16) })).not.toThrow();
  });

  it("accepts Redis Sentinel as the production store", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      SESSION_SECRET: SECRET_32,
      REDIS_SENTINELS: "10.0.0.7:26379",
      REDIS_SENTINEL_NAME: "m",
    });
    expect(config.redisSentinels).toEqual([{ host: "10.0.0.7", port: 26379 }]);
  });

  it("ALLOW_EMBEDDED_STORE=true is the one explicit way to run production on the embedded store", () => {
    expect(loadConfig({ NODE_ENV: "production", SESSION_SECRET: SECRET_32, ALLOW_EMBEDDED_STORE: "true" }).redisUrl).toBeUndefined();
  });

  it("development accepts a short secret (with no production flag)", () => {
    expect(loadConfig({ SESSION_SECRET: "dev" }).sessionSecrets).toEqual(["dev"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The entry point, as `npm run server` runs it (through tsx, so it tests the current sources).

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return env;
}

/** Runs server/main.ts until it exits. */
function runMain(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
      cwd: ROOT,
      env: baseEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.concurrent("server/main.ts", { timeout: 60_000 }, () => {
  it.each([
    ["PORT", "abc"],
    ["SESSION_IDLE_TIMEOUT", "forever"],
    ["ALLOWED_ORIGINS", "*"],
    ["REDIS_URL", "localhost:6379"],
    ["PASSWORD_RESET_URL", "https://evil.example.com/reset-password", { LINK_ORIGINS: "https://app.example.com" }],
  ])("a bad %s: exits 1 with one line naming it", async (variable, value, extra: Record<string, string> = {}) => {
    const run = await runMain({ [variable]: value, DATA_DIR: tempDataDir(), ...extra });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(run.stdout).toBe("");
  });

  it("NODE_ENV=production without SESSION_SECRET: exits 1 naming SESSION_SECRET", async () => {
    const run = await runMain({ NODE_ENV: "production", REDIS_URL: "redis://127.0.0.1:6390", DATA_DIR: tempDataDir() });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringContaining("SESSION_SECRET")]);
  });

  it("good settings: prints one line with its URL, serves it, and stops cleanly on SIGTERM, logging the shutdown as JSON", async () => {
    let healthz = 0;
    const run = await new Promise<Run & { url?: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
        cwd: ROOT,
        env: baseEnv({ PORT: "0", DATA_DIR: tempDataDir(), SESSION_SECRET: SECRET_32 }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let url: string | undefined;
      const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
      child.stdout.on("data", async (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match && url === undefined) {
          url = match[1]!;
          try {
            healthz = (await fetch(`${url}/healthz`)).status;
          } finally {
            setTimeout(() => child.kill("SIGTERM"), 500);
          }
        }
      });
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, url });
      });
    });
    expect(run.url).toBeDefined();
    expect(healthz).toBe(200);
    const [first, ...rest] = run.stdout.trim().split("\n");
    expect(first).toContain(run.url!);
    // After the one human line, only the JSON log of the shutdown: the signal, its start and its end.
    expect(rest.map((line) => (JSON.parse(line) as { event: string }).event)).toEqual(["signal", "shutdown_started", "shutdown_done"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });
});
