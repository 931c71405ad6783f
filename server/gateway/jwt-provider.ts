// The bearer tokens of gateway calls, kept outside the express-session object and obtained
// single-flight: the one mechanism for both kinds of session. Where a token comes from is a
// TokenSource (gateway/token-sources.ts): the auth service's JWT for a password session, the OIDC
// provider's access token (refreshed with its refresh token) for a provider session.
//
// Why outside the session: express-session saves the whole object, last write wins, so a token
// written by one request could erase fields written by another (security.md 21). Here a session's
// JWT lives under its own key (the session's store key): in the shared key-value store (Redis: every
// instance sees it), sealed with the session's secret (session-keys.ts: a copy of the store holds no
// JWT; the request's cookie opens it, once per process), with a TTL that ends before `exp`, plus a
// per-process copy that saves the round trip and the opening.
//
// Single flight: inside a process, concurrent callers share one promise; across processes, a lock
// with a lease (SET NX PX) decides who fetches, the winner re-reads the cache after taking it, and
// waiters poll the cache for a bounded time, then give up with 503. One session's burst of first
// calls therefore costs exactly one call to its source: one `GET /api/users/<id>` at the auth
// service, or one refresh at the provider (whose rotated refresh token the source writes before the
// lock is released, so the next holder, on any instance, refreshes with the new one).
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { RefreshTokenRejected, type Jwt } from "../auth-client/client.js";
import { ApiError } from "../http/errors.js";
import type { Metrics } from "../ops/metrics.js";
import type { KeyValueStore } from "../session/key-value.js";
import type { SessionRecord } from "../session/record.js";
import type { SessionSecret } from "../session/session-keys.js";

/** A session as the provider needs it: its store key, its record and its cookie's secret (an ActiveSession is one). */
export type TokenSession = SessionRecord & { sid: string; secret: SessionSecret };

/**
 * Where a session's bearer comes from. Called under the session's single-flight lock, at most once
 * per renewal; throws RefreshTokenRejected when the session's grant is gone, ApiError when transient.
 */
export type TokenSource = (session: TokenSession) => Promise<Jwt>;

export interface JwtProviderOptions {
  kv: KeyValueStore;
  source: TokenSource;
  /** How long a waiter waits for another fetcher before giving up (503). */
  waitMs: number;
  /** The lock's lease: longer than one auth-service call, so a crashed holder frees it soon. */
  leaseMs: number;
  /** Told when a JWT answer reports the user's verification differently from the session (sessions.setEmailVerified). */
  onEmailVerified?: (session: TokenSession, verified: boolean) => Promise<void>;
  /** Counts each fetch by its result, with its latency. */
  metrics: Metrics;
}

const POLL_MS = 20;
const MAX_LOCAL_ENTRIES = 100_000;

/** Renew this long before `exp`: a quarter of the token's life, at most 30 s. */
export function renewalMargin(lifetimeMs: number): number {
  return Math.min(30_000, Math.max(0, lifetimeMs / 4));
}

interface CachedJwt extends Jwt {
  /** When to stop using it (before `exp`, by the renewal margin). */
  renewAt: number;
}

export class JwtProvider {
  private readonly local = new Map<string, CachedJwt>();
  private readonly inFlight = new Map<string, Promise<CachedJwt>>();
  /** Calls made to the token source: JWT requests, or provider refreshes (for tests and benchmarks). */
  fetches = 0;

  constructor(private readonly options: JwtProviderOptions) {}

  /** This process's copy of the session's JWT, when it is still good for the renewal margin. */
  cached(sid: string): string | undefined {
    const cached = this.local.get(sid);
    return cached && cached.renewAt > Date.now() ? cached.token : undefined;
  }

  /** A bearer valid for at least the renewal margin. Throws RefreshTokenRejected or ApiError 503. */
  async get(session: TokenSession): Promise<string> {
    const cached = this.cached(session.sid);
    if (cached !== undefined) return cached;
    let pending = this.inFlight.get(session.sid);
    if (!pending) {
      pending = this.obtain(session).finally(() => this.inFlight.delete(session.sid));
      this.inFlight.set(session.sid, pending);
    }
    return (await pending).token;
  }

  /** Forgets a session's JWT everywhere (logout, expiry). */
  async forget(sid: string): Promise<void> {
    this.local.delete(sid);
    await this.options.kv.delete(cacheKey(sid));
  }

  private async obtain(session: TokenSession): Promise<CachedJwt> {
    const { kv, waitMs, leaseMs } = this.options;
    const deadline = Date.now() + waitMs;
    const owner = randomBytes(12).toString("base64url");
    for (;;) {
      const shared = await this.readShared(session);
      if (shared) return this.remember(session.sid, shared);
      if (await kv.setIfAbsent(lockKey(session.sid), owner, leaseMs)) {
        try {
          // Another instance may have finished between our read and our lock: read again.
          const again = await this.readShared(session);
          if (again) return this.remember(session.sid, again);
          this.fetches++;
          const jwt = await this.fetch(session);
          if (jwt.verified !== undefined && jwt.verified !== session.user.emailVerified) {
            await this.options.onEmailVerified?.(session, jwt.verified).catch(() => undefined);
          }
          const entry = toCached({ token: jwt.token, expiresAt: jwt.expiresAt });
          const ttlMs = entry.renewAt - Date.now();
          if (ttlMs > 0) await kv.set(cacheKey(session.sid), session.secret.seal("jwt", entry), ttlMs);
          return this.remember(session.sid, entry);
        } finally {
          await kv.deleteIfEquals(lockKey(session.sid), owner).catch(() => undefined);
        }
      }
      if (Date.now() + POLL_MS > deadline) {
        throw new ApiError(503, "token_unavailable", { message: "Timed out waiting for an access token." });
      }
      await sleep(POLL_MS);
    }
  }

  /** One call to the session's token source, counted by its result with its latency. */
  private async fetch(session: TokenSession): Promise<Jwt> {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const jwt = await this.options.source(session);
      this.options.metrics.jwtFetch("ok", seconds());
      return jwt;
    } catch (error) {
      this.options.metrics.jwtFetch(error instanceof RefreshTokenRejected ? "rejected" : "failed", seconds());
      throw error;
    }
  }

  private async readShared(session: TokenSession): Promise<CachedJwt | null> {
    const entry = session.secret.open<CachedJwt>("jwt", await this.options.kv.get(cacheKey(session.sid)));
    return entry && typeof entry.token === "string" && typeof entry.renewAt === "number" && entry.renewAt > Date.now() ? entry : null;
  }

  private remember(sid: string, entry: CachedJwt): CachedJwt {
    if (this.local.size >= MAX_LOCAL_ENTRIES) this.evictExpired();
    if (entry.renewAt > Date.now()) this.local.set(sid, entry);
    return entry;
  }

  private evictExpired(): void {
    const now = Date.now();
    for (const [sid, entry] of this.local) if (entry.renewAt <= now) this.local.delete(sid);
    if (this.local.size >= MAX_LOCAL_ENTRIES) this.local.clear();
  }
}

function toCached(jwt: Jwt): CachedJwt {
  return { ...jwt, renewAt: renewalTime(jwt.expiresAt, Date.now()) };
}

/** When to stop using a token that expires at `expiresAt` and was obtained at `obtainedAt`. */
export function renewalTime(expiresAt: number, obtainedAt: number): number {
  return expiresAt - renewalMargin(expiresAt - obtainedAt);
}

const cacheKey = (sid: string): string => `jwt:${sid}`;
const lockKey = (sid: string): string => `jwt-lock:${sid}`;
