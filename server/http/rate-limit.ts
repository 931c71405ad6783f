// Throttling of everything that guesses or mails, per account and per client address, with counters
// in the shared key-value store (Redis when configured, so every instance counts together; memory
// when embedded). Threat model: password guessing against one account, credential stuffing from one
// address, link-token guessing, and mail bombing (reset and verification mails to one inbox).
// - Login and signup: only failures count (401, 422), so a user who signs in correctly is never slowed.
// - A passkey login names no account: its failures count on the login's per-address counter (the same key: guesses
//   with passwords and with assertions add up). Asking for sign-in options (each one a stored challenge) counts every
//   request per address, at ten times the failure limit: a sign-in page asks once per view.
// - A wrong current password (POST /auth/password, 403) counts on the login counters of that account
//   and address: re-authentication is one more way to guess the password.
// - Reset and resend: every request counts, per account (RATE_LIMIT_RESET_PER_ACCOUNT, the two
//   together: mails to one inbox) and per address (the login address limit).
// - Confirming a reset or a verification: refused tokens count per address.
// The account key is a hash of the normalised e-mail, counted the same whether the account exists or
// not, and limited answers carry no rate-limit headers, so neither status, body nor headers enumerate users.
import { createHash } from "node:crypto";
import { rateLimit, ipKeyGenerator, type Store, type Options, type IncrementResponse } from "express-rate-limit";
import type { Request, RequestHandler, Response } from "express";
import { rateLimited } from "./errors.js";
import type { Logger } from "../ops/logger.js";
import type { Metrics, RateLimit } from "../ops/metrics.js";
import type { KeyValueStore } from "../session/key-value.js";
import type { ContextOf } from "./request-context.js";

export interface RateLimitSettings {
  windowMs: number;
  failuresPerAccount: number;
  failuresPerAddress: number;
  /** Reset and verification mails asked for per account in a window. */
  mailRequestsPerAccount: number;
}

export interface RateLimits {
  login: RequestHandler[];
  /** POST /auth/passkeys/login: the login's per-address counter (a passkey names no account until it verifies). */
  passkeyLogin: RequestHandler[];
  /** POST /auth/passkeys/login/options: every request per address (each stores a challenge). */
  passkeyOptions: RequestHandler[];
  signup: RequestHandler[];
  /** POST /auth/password-reset and /auth/email-verification/resend. */
  mail: RequestHandler[];
  /** Confirming a reset or verification token. */
  tokens: RequestHandler[];
  /** POST /auth/password: a wrong current password counts on the login limits; needs `res.locals.session`. */
  reauthentication: RequestHandler[];
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

const loginFailure = (status: number): boolean => status === 401 || status === 422;

function limiter(
  kv: KeyValueStore,
  logger: Logger,
  metrics: Metrics,
  /** Which kind of limit, for the refusal counter of /metrics. */
  kind: RateLimit,
  /** Where its counters live in the shared store. */
  prefix: string,
  limit: number,
  windowMs: number,
  key: (req: Request, res: Response) => string,
  /** Which answers count; "every" counts each request. */
  counts: ((status: number) => boolean) | "every" = loginFailure,
): RequestHandler {
  const property = `rateLimit_${prefix.replace(/\W/g, "_")}`;
  return rateLimit({
    windowMs,
    limit,
    store: new KeyValueRateLimitStore(kv, prefix),
    keyGenerator: key,
    standardHeaders: false,
    legacyHeaders: false,
    requestPropertyName: property,
    skipSuccessfulRequests: counts !== "every",
    requestWasSuccessful: (_req, res) => counts !== "every" && !counts(res.statusCode),
    passOnStoreError: false,
    // Its own complaints (a decrement failing while the store is down) go to our JSON log, not to the console.
    logger,
    validate: { trustProxy: false, xForwardedForHeader: false },
    handler: (req, _res, next) => {
      metrics.rateLimited(kind);
      const info = (req as unknown as Record<string, { resetTime?: Date } | undefined>)[property];
      const seconds = Math.max(1, Math.ceil(((info?.resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
      next(rateLimited(seconds));
    },
  });
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function emailKey(email: unknown): string {
  const normalized = typeof email === "string" ? normalizeEmail(email) : "";
  return createHash("sha256").update(normalized).digest("base64url");
}

/** The account of the body's e-mail (login, reset, resend). */
const accountKey = (req: Request): string => emailKey((req.body as { email?: unknown } | undefined)?.email);

/** The account of the signed-in session that routes put in `res.locals.session` before this limiter. */
const sessionAccountKey = (_req: Request, res: Response): string =>
  emailKey((res.locals.session as { user?: { email?: unknown } } | undefined)?.user?.email);

export function createRateLimits(
  kv: KeyValueStore,
  settings: RateLimitSettings,
  logger: Logger,
  metrics: Metrics,
  contextOf: ContextOf,
): RateLimits {
  // Per address: the request context's client address honours TRUST_PROXY exactly, so an
  // X-Forwarded-For from a peer that is not a trusted proxy cannot change the key.
  const addressKey = (req: Request): string => ipKeyGenerator(contextOf(req).clientAddress || "unknown");
  const { windowMs } = settings;
  const perAddress = limiter(kv, logger, metrics, "address", "rl:addr:", settings.failuresPerAddress, windowMs, addressKey);
  const perAccount = limiter(kv, logger, metrics, "account", "rl:acct:", settings.failuresPerAccount, windowMs, accountKey);
  const wrongCurrentPassword = (status: number): boolean => status === 403;
  return {
    login: [perAddress, perAccount],
    passkeyLogin: [perAddress],
    passkeyOptions: [
      limiter(kv, logger, metrics, "address", "rl:passkey-options:", settings.failuresPerAddress * 10, windowMs, addressKey, "every"),
    ],
    signup: [perAddress],
    mail: [
      limiter(kv, logger, metrics, "address", "rl:mail-addr:", settings.failuresPerAddress, windowMs, addressKey, "every"),
      limiter(kv, logger, metrics, "account", "rl:mail-acct:", settings.mailRequestsPerAccount, windowMs, accountKey, "every"),
    ],
    tokens: [
      limiter(
        kv,
        logger,
        metrics,
        "address",
        "rl:token-addr:",
        settings.failuresPerAddress,
        windowMs,
        addressKey,
        (status) => status === 400,
      ),
    ],
    // The login counters themselves (same prefixes and keys): guesses here and at login add up.
    reauthentication: [
      limiter(kv, logger, metrics, "address", "rl:addr:", settings.failuresPerAddress, windowMs, addressKey, wrongCurrentPassword),
      limiter(kv, logger, metrics, "account", "rl:acct:", settings.failuresPerAccount, windowMs, sessionAccountKey, wrongCurrentPassword),
    ],
  };
}
