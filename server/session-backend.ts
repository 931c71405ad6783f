// Where sessions live. One interface over two backends: the embedded SQLite file (no REDIS_URL) and
// Redis or Redis Cluster through connect-redis. express-session uses `store` on the routes that
// create or destroy sessions; the hot paths (session check, gateway) read straight through `read`.
import type { Store } from "express-session";
import type { KeyValueStore } from "./key-value.js";

/** What a signed-in session holds. The refresh token never leaves the server. */
export interface SessionUser {
  id: string;
  email: string;
}

declare module "express-session" {
  interface SessionData {
    user: SessionUser;
    /** The user's IRI at the auth service, used to ask for JWTs. */
    userIri: string;
    refreshToken: string;
    refreshTokenIri: string;
    /** Epoch ms of login: the absolute timeout counts from here and never slides. */
    createdAt: number;
  }
}

/** The stored session object as express-session serialises it. */
export interface StoredSession {
  cookie?: unknown;
  user?: SessionUser;
  userIri?: string;
  refreshToken?: string;
  refreshTokenIri?: string;
  createdAt?: number;
}

export interface SessionRecord {
  session: StoredSession;
  /** Milliseconds until the store drops it (the idle window left). */
  ttlMs: number;
}

export interface SessionBackend {
  readonly kind: "embedded" | "redis" | "redis-cluster";
  readonly store: Store;
  readonly kv: KeyValueStore;
  /** Hot-path read of a session and its remaining TTL; null when there is none. */
  read(sid: string): Promise<SessionRecord | null>;
  /** Slides the idle window: sets the TTL of an existing session (a missing one stays missing). */
  extend(sid: string, ttlMs: number): Promise<void>;
  destroy(sid: string): Promise<void>;
  /** Resolves when the store answers; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const SESSION_KEY_PREFIX = "ae:sess:";

/**
 * How long a session may live in the store from now: the idle timeout, but never past the absolute
 * timeout counted from its creation. Zero or less means it is over.
 */
export function sessionTtlMs(
  session: Pick<StoredSession, "createdAt">,
  limits: { idleMs: number; absoluteMs: number },
  now = Date.now(),
): number {
  const createdAt = typeof session.createdAt === "number" ? session.createdAt : now;
  return Math.min(limits.idleMs, createdAt + limits.absoluteMs - now);
}
