// Where sessions live. One interface over the backends: the embedded SQLite file (no REDIS_URL),
// and Redis, Redis Cluster or Redis Sentinel through connect-redis. express-session uses `store` (through the seam
// in sessions.ts, on the routes that create or end sessions); the hot paths read through `read`.
// Every `sid` here is a store key (session-keys.ts): a backend never sees a cookie's id, and it holds a
// session's tokens only sealed.
import type { Store } from "express-session";
import type { KeyValueStore } from "./key-value.js";
import type { StoredSession } from "./record.js";

export interface SessionBackend {
  readonly kind: "embedded" | "redis" | "redis-cluster" | "redis-sentinel";
  readonly store: Store;
  readonly kv: KeyValueStore;
  /** Hot-path read of a session and its remaining TTL; null when the key holds nothing. */
  read(sid: string): Promise<StoredSession | null>;
  /** Slides the idle window: sets the TTL of an existing session (a missing one stays missing). */
  extend(sid: string, ttlMs: number): Promise<void>;
  destroy(sid: string): Promise<void>;
  /**
   * Changes a stored session in place, keeping its TTL: `change` edits the stored JSON and says whether it changed
   * anything. A missing session stays missing (an update racing a logout never brings it back); true when written.
   */
  patch(sid: string, change: SessionChange): Promise<boolean>;
  /** Resolves when the store answers; used by /readyz. */
  ping(): Promise<void>;
  /** Closes every connection within `deadlineMs`; a client that does not close in time is destroyed. */
  close(deadlineMs?: number): Promise<void>;
}

/** Every session key starts with this; the rest of the store's keys use `ae:` too (key-value.ts). */
export const SESSION_KEY_PREFIX = "ae:sess:";

/** Edits a stored session's JSON (express-session's, the record's fields at its top level); false: nothing to write. */
export type SessionChange = (stored: Record<string, unknown>) => boolean;

/** How long a stored session may live from now (lifetime.ts bound to the configured limits). */
export type TtlOf = (record: { createdAt?: number | undefined }) => number;
