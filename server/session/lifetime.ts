// How long a session lives: the idle timeout (SESSION_IDLE_TIMEOUT, the store's TTL, slid as the
// session is used) and the absolute timeout (SESSION_ABSOLUTE_TIMEOUT, counted from the stored
// creation time; it never slides). Every store and the hot-path reader ask this module, so both
// limits live here and nowhere else.
import type { Config } from "../config.js";

export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
  /** The idle window is renewed when more than this has passed since it was last renewed. */
  touchIntervalMs: number;
}

export function sessionLimits(config: Pick<Config, "sessionIdleTimeoutMs" | "sessionAbsoluteTimeoutMs">): SessionLimits {
  return {
    idleMs: config.sessionIdleTimeoutMs,
    absoluteMs: config.sessionAbsoluteTimeoutMs,
    // Renewing on every request would cost a store write per request; once a minute (or a tenth of
    // a short idle window) keeps the window sliding at a fraction of the cost.
    touchIntervalMs: Math.min(60_000, Math.floor(config.sessionIdleTimeoutMs / 10)),
  };
}

/**
 * How long a session may live in the store from now: the idle timeout, but never past the absolute
 * timeout counted from its creation. Zero or less means it is over.
 */
export function sessionTtlMs(session: { createdAt?: number | undefined }, limits: SessionLimits, now = Date.now()): number {
  const createdAt = typeof session.createdAt === "number" ? session.createdAt : now;
  return Math.min(limits.idleMs, createdAt + limits.absoluteMs - now);
}

/** The TTL to renew an in-use session to, or undefined when its idle window is not due for renewal. */
export function idleRenewal(limits: SessionLimits, ttlLeftMs: number, allowedTtlMs: number): number | undefined {
  const sinceRenewal = limits.idleMs - ttlLeftMs;
  return sinceRenewal > limits.touchIntervalMs && allowedTtlMs > ttlLeftMs ? allowedTtlMs : undefined;
}
