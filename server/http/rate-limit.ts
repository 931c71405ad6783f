// Login and signup throttling, per account and per client address, with counters in the shared
// key-value store (Redis when configured, so every instance counts together; memory when embedded).
// Threat model: password guessing against one account, and credential stuffing from one address.
// Only failures count (401, 422), so a user who signs in correctly is never slowed. The account key
// is a hash of the normalised e-mail, counted the same whether the account exists or not, and
// limited answers carry no rate-limit headers, so neither status, body nor headers enumerate users.
import { createHash } from "node:crypto";
import { rateLimit, ipKeyGenerator, type Store, type Options, type IncrementResponse } from "express-rate-limit";
import type { Request, RequestHandler } from "express";
import { rateLimited } from "./errors.js";
import type { Logger } from "../ops/logger.js";
import type { Metrics, RateLimit } from "../ops/metrics.js";
import type { KeyValueStore } from "../session/key-value.js";
import type { ContextOf } from "./request-context.js";

export interface RateLimitSettings {
  windowMs: number;
  failuresPerAccount: number;
  failuresPerAddress: number;
}

/** express-rate-limit's Store over our key-value store. */
class KeyValueRateLimitStore implements Store {
  private windowMs = 60_000;
  readonly localKeys = false;

  constructor(
    private readonly kv: KeyValueStore,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const { count, ttlMs } = await this.kv.increment(this.prefix + key, this.windowMs);
    return { totalHits: count, resetTime: new Date(Date.now() + ttlMs) };
  }

  async decrement(key: string): Promise<void> {
    await this.kv.decrement(this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await this.kv.delete(this.prefix + key);
  }
}

const countsAsFailure = (status: number): boolean => status === 401 || status === 422;

function limiter(
  kv: KeyValueStore,
  logger: Logger,
  metrics: Metrics,
  name: RateLimit,
  limit: number,
  windowMs: number,
  key: (req: Request) => string,
): RequestHandler {
  const prefix = `rl:${name === "address" ? "addr" : "acct"}:`;
  const property = `rateLimit_${prefix.replace(/\W/g, "_")}`;
  return rateLimit({
    windowMs,
    limit,
    store: new KeyValueRateLimitStore(kv, prefix),
    keyGenerator: key,
    standardHeaders: false,
    legacyHeaders: false,
    requestPropertyName: property,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => !countsAsFailure(res.statusCode),
    passOnStoreError: false,
    // Its own complaints (a decrement failing while the store is down) go to our JSON log, not to the console.
    logger,
    validate: { trustProxy: false, xForwardedForHeader: false },
    handler: (req, _res, next) => {
      metrics.rateLimited(name);
      const info = (req as unknown as Record<string, { resetTime?: Date } | undefined>)[property];
      const seconds = Math.max(1, Math.ceil(((info?.resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
      next(rateLimited(seconds));
    },
  });
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function accountKey(req: Request): string {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  const normalized = typeof email === "string" ? normalizeEmail(email) : "";
  return createHash("sha256").update(normalized).digest("base64url");
}

export function createRateLimits(
  kv: KeyValueStore,
  settings: RateLimitSettings,
  logger: Logger,
  metrics: Metrics,
  contextOf: ContextOf,
): { login: RequestHandler[]; signup: RequestHandler[] } {
  // Per address: the request context's client address honours TRUST_PROXY exactly, so an
  // X-Forwarded-For from a peer that is not a trusted proxy cannot change the key.
  const addressKey = (req: Request): string => ipKeyGenerator(contextOf(req).clientAddress || "unknown");
  const perAddress = limiter(kv, logger, metrics, "address", settings.failuresPerAddress, settings.windowMs, addressKey);
  const perAccount = limiter(kv, logger, metrics, "account", settings.failuresPerAccount, settings.windowMs, accountKey);
  return { login: [perAddress, perAccount], signup: [perAddress] };
}
