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
  ])("a bad %s: exits 1 with one line naming it", async (variable, value) => {
    const run = await runMain({ [variable]: value, DATA_DIR: tempDataDir() });
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
