// Starts a session server for a test the way main.ts does (loadConfig + startSessionServer), on port 0 in a
// temporary DATA_DIR with its logs captured, plus a small cookie-jar HTTP client that keeps Set-Cookie raw
// and a look into the session store (SQLite rows or Redis keys) so tests can check what was written.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { createClient } from "redis";
import { request } from "undici";
import { expect } from "vitest";
import { loadConfig, type Config } from "../../server/config.js";
import { createLogger } from "../../server/ops/logger.js";
import { SESSION_KEY_PREFIX } from "../../server/session/backend.js";
import type { SessionRecord } from "../../server/session/record.js";
import { sessionKeys, storeKeyOf, tokensOf, type SessionTokens } from "../../server/session/session-keys.js";
import { startSessionServer, type RunningSessionServer } from "../../server/start.js";

export type Env = Record<string, string | undefined>;

export interface TestServerOptions {
  /** Extra or overriding environment variables (undefined removes a default). */
  env?: Env;
  /** REDIS_URL; omitted: the embedded store. */
  redisUrl?: string;
  /** AUTH_SERVICE; omitted: the reference auth service in-process. */
  authService?: string;
  /** Reuse a DATA_DIR (restart tests); default a fresh temporary one, removed on close. */
  dataDir?: string;
  /** Default: a random 32-byte secret per server. */
  sessionSecret?: string;
}

export interface TestSessionServer {
  url: string;
  config: Config;
  running: RunningSessionServer;
  dataDir: string;
  sessionSecret: string;
  /** Everything the server logged so far (pino JSON lines). */
  logs(): string;
  client(options?: ClientOptions): CookieClient;
  /** Rows in the SQLite sessions table, or keys in the Redis database: anything at all the store holds. */
  storeSize(): Promise<number>;
  /** Whether the store still holds this session id. */
  hasSession(sid: string): Promise<boolean>;
  /** Remaining store TTL of a session in ms (-2 missing), read outside the server. */
  sessionTtlMs(sid: string): Promise<number>;
  /** Ids of the stored sessions signed in as this e-mail address. */
  storeSessionsOf(email: string): Promise<string[]>;
  /** Everything stored under a session id, as the store holds it (express-session's JSON), or null. */
  rawSession(sid: string): Promise<Record<string, unknown> | null>;
  close(): Promise<void>;
}

const tempDirs = new Set<string>();

export function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ae-session-test-"));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function testEnv(options: TestServerOptions, dataDir: string, secret: string): Env {
  const env: Env = {
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    SESSION_SECRET: secret,
    LOG_LEVEL: "info",
    // Every test client comes from 127.0.0.1: keep the per-address limit out of the way unless a test sets it.
    RATE_LIMIT_ADDRESS_FAILURES: "100000",
    RATE_LIMIT_ACCOUNT_FAILURES: "1000",
    // Closing a test server must not wait the production 10 s for a request a test left hanging.
    SHUTDOWN_TIMEOUT_MS: "1000",
    REDIS_URL: options.redisUrl,
    AUTH_SERVICE: options.authService,
    ...options.env,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

export async function startTestSessionServer(options: TestServerOptions = {}): Promise<TestSessionServer> {
  const dataDir = options.dataDir ?? tempDataDir();
  const sessionSecret = options.sessionSecret ?? randomBytes(32).toString("base64url");
  const config = loadConfig(testEnv(options, dataDir, sessionSecret));
  let logText = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logText += chunk.toString("utf8");
      callback();
    },
  });
  const running = await startSessionServer(config, { logger: createLogger(config.logLevel, sink) });

  let redis: ReturnType<typeof createClient> | undefined;
  async function redisClient(): Promise<ReturnType<typeof createClient>> {
    if (!redis) {
      redis = createClient({
        url: config.redisUrl,
        socket: { reconnectStrategy: () => 100, connectTimeout: 1000 },
        disableOfflineQueue: true,
      });
      redis.on("error", () => undefined);
      await redis.connect();
    }
    return redis;
  }
  function sqlite<T>(read: (db: Database.Database) => T): T {
    const db = new Database(path.join(dataDir, "sessions.sqlite"), { readonly: true, fileMustExist: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  return {
    url: running.url,
    config,
    running,
    dataDir,
    sessionSecret,
    logs: () => logText,
    client: (clientOptions) => new CookieClient(running.url, clientOptions),
    async storeSize() {
      if (config.redisUrl) return (await redisClient()).dbSize();
      return sqlite((db) => (db.prepare("SELECT COUNT(*) AS n FROM sessions").get() as { n: number }).n);
    },
    async hasSession(sid) {
      if (config.redisUrl) return (await (await redisClient()).exists(SESSION_KEY_PREFIX + sid)) === 1;
      return sqlite((db) => db.prepare("SELECT 1 FROM sessions WHERE sid = ? AND expires_at > ?").get(sid, Date.now()) !== undefined);
    },
    async sessionTtlMs(sid) {
      if (config.redisUrl) return (await redisClient()).pTTL(SESSION_KEY_PREFIX + sid);
      const row = sqlite(
        (db) => db.prepare("SELECT expires_at FROM sessions WHERE sid = ?").get(sid) as { expires_at: number } | undefined,
      );
      return row ? row.expires_at - Date.now() : -2;
    },
    async rawSession(sid) {
      const text = config.redisUrl
        ? await (await redisClient()).get(SESSION_KEY_PREFIX + sid)
        : sqlite((db) => (db.prepare("SELECT data FROM sessions WHERE sid = ?").get(sid) as { data: string } | undefined)?.data ?? null);
      return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
    },
    async storeSessionsOf(email) {
      const rows: Array<{ sid: string; data: string }> = [];
      if (config.redisUrl) {
        const client = await redisClient();
        for await (const keys of client.scanIterator({ MATCH: `${SESSION_KEY_PREFIX}*`, COUNT: 1000 })) {
          for (const key of keys) {
            const data = await client.get(key);
            if (data !== null) rows.push({ sid: key.slice(SESSION_KEY_PREFIX.length), data });
          }
        }
      } else {
        rows.push(...sqlite((db) => db.prepare("SELECT sid, data FROM sessions").all() as Array<{ sid: string; data: string }>));
      }
      return rows.filter((row) => (JSON.parse(row.data) as { user?: { email?: string } }).user?.email === email).map((row) => row.sid);
    },
    async close() {
      await running.close();
      if (redis) await redis.close().catch(() => redis?.destroy());
      if (!options.dataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        tempDirs.delete(dataDir);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The cookie-jar client.

export interface ClientOptions {
  /** Headers sent with every request (e.g. an Origin). */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  /** Extra headers; a value of undefined removes a default (X-CSRF, Content-Type). */
  headers?: Record<string, string | undefined>;
  /** Send this exact body text (no JSON encoding, no default Content-Type). */
  raw?: string | Buffer;
  /** Send the jar's cookies (default true). */
  cookies?: boolean;
}

export interface TestResponse {
  status: number;
  /** Lower-cased names, as Node received them; set-cookie is a list. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the body is JSON, else the text. */
  body: any;
  text: string;
  /** The raw Set-Cookie header lines. */
  setCookie: string[];
  header(name: string): string | undefined;
}

export interface SentRequest {
  method: string;
  path: string;
  response: TestResponse;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class CookieClient {
  /** Every response this client received, in order. */
  readonly history: SentRequest[] = [];

  constructor(
    readonly baseUrl: string,
    private readonly options: ClientOptions = {},
    readonly jar = new Map<string, string>(),
  ) {}

  /** The same browser (this jar) talking to another origin, such as an internal listener. */
  at(baseUrl: string, options: ClientOptions = {}): CookieClient {
    return new CookieClient(baseUrl, options, this.jar);
  }

  /** The jar as a Cookie header value. */
  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  get(path: string, options: RequestOptions = {}): Promise<TestResponse> {
    return this.request("GET", path, undefined, options);
  }

  post(path: string, body?: unknown, options: RequestOptions = {}): Promise<TestResponse> {
    return this.request("POST", path, body, options);
  }

  async request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<TestResponse> {
    const headers: Record<string, string | undefined> = { ...this.options.headers };
    let payload: string | Buffer | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    if (UNSAFE.has(method)) headers["x-csrf"] = "1";
    if (options.cookies !== false && this.jar.size > 0) headers.cookie = this.cookieHeader();
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    const sent = Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>;

    const response = await request(this.baseUrl + path, { method: method as "GET", headers: sent, body: payload });
    const text = await response.body.text();
    const raw = response.headers["set-cookie"];
    const setCookie = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    const contentType = String(response.headers["content-type"] ?? "");
    let parsed: unknown = text;
    if (contentType.includes("json") && text) parsed = JSON.parse(text);
    const result: TestResponse = {
      status: response.statusCode,
      headers: response.headers,
      body: parsed,
      text,
      setCookie,
      header(name) {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(", ") : value;
      },
    };
    for (const line of setCookie) this.store(line);
    this.history.push({ method, path, response: result });
    return result;
  }

  private store(line: string): void {
    const cookie = parseSetCookie(line);
    const expired =
      (cookie.attributes["max-age"] !== undefined && Number(cookie.attributes["max-age"]) <= 0) ||
      (cookie.attributes.expires !== undefined && Date.parse(cookie.attributes.expires) <= Date.now());
    if (expired) this.jar.delete(cookie.name);
    else this.jar.set(cookie.name, cookie.value);
  }
}

export interface ParsedSetCookie {
  name: string;
  value: string;
  /** Lower-cased attribute names; flags map to "". */
  attributes: Record<string, string>;
}

export function parseSetCookie(line: string): ParsedSetCookie {
  const [pair = "", ...parts] = line.split(";");
  const eq = pair.indexOf("=");
  const attributes: Record<string, string> = {};
  for (const part of parts) {
    const index = part.indexOf("=");
    const name = (index < 0 ? part : part.slice(0, index)).trim().toLowerCase();
    attributes[name] = index < 0 ? "" : part.slice(index + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** The session id inside a signed cookie value (`s:<id>.<signature>`, URL-encoded): what only the cookie carries. */
export function cookieIdOf(cookieValue: string): string {
  const decoded = decodeURIComponent(cookieValue);
  if (!decoded.startsWith("s:")) throw new Error(`not a signed session cookie: ${cookieValue}`);
  return decoded.slice(2, decoded.lastIndexOf("."));
}

/** The store key of a signed cookie value's session: what the store, its indexes and its caches are keyed by. */
export function sidOf(cookieValue: string): string {
  return storeKeyOf(cookieIdOf(cookieValue));
}

/** A session as only its cookie opens it: the stored record with its tokens in the clear; null when not stored. */
export async function openedSession(server: TestSessionServer, cookieValue: string): Promise<(SessionRecord & SessionTokens) | null> {
  const keys = sessionKeys(cookieIdOf(cookieValue));
  const record = (await server.running.backend.read(keys.storeKey))?.record;
  if (!record) return null;
  const tokens = tokensOf({ sealed: record.sealed, secret: keys.secret });
  if (!tokens) throw new Error("the cookie does not open its session's tokens");
  return { ...record, ...tokens };
}

/** A password session as its cookie opens it (refresh token included); throws when there is none. */
export async function openedPasswordSession(
  server: TestSessionServer,
  cookieValue: string,
): Promise<Extract<SessionRecord, { userIri: string }> & { refreshToken: string }> {
  const opened = await openedSession(server, cookieValue);
  if (!opened || opened.oidc || opened.refreshToken === undefined) throw new Error("no password session stored");
  return { ...opened, refreshToken: opened.refreshToken };
}

let emailCounter = 0;
/** A fresh e-mail address per call, unique across files and runs. */
export function uniqueEmail(tag = "user"): string {
  emailCounter += 1;
  return `${tag}.${emailCounter}.${randomBytes(5).toString("hex")}@example.org`;
}

export const PASSWORD = "correct horse battery staple";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or the time is up. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** Runs a request and measures how long its answer took. */
export async function timed(request: () => Promise<TestResponse>): Promise<{ response: TestResponse; ms: number }> {
  const start = performance.now();
  const response = await request();
  return { response, ms: performance.now() - start };
}

/** The answer every session-needing request gets while the store is down (security 23). */
export function expectStoreUnavailable(response: TestResponse): void {
  expect(response.status).toBe(503);
  expect(response.body).toEqual({ error: "session_store_unavailable", message: expect.any(String) });
  expect(response.header("cache-control")).toBe("no-store");
}
