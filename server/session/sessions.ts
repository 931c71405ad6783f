// The session seam: the one place where sessions are created, found, regenerated and ended.
// express-session (the cookie format, id generation, regeneration and the store through
// connect-redis or SQLite) is used behind this module only; routes and the gateway ask it, and none
// reaches around it.
//
// Threat model and stance:
// - Login regenerates the id (no fixation): the old cookie value and its store key are gone.
// - A session that cannot be stored completely is dropped, and its refresh token revoked at once:
//   no half-made session, no refresh token that no session holds.
// - Ending a session revokes its refresh token upstream (best effort), deletes its store key, its
//   entry in the user's index and everything kept beside it (the gateway's JWT cache), on every
//   instance, since all of that lives in the shared store.
// - The hot-path reader does one store round trip, writes only when the idle window is due for
//   renewal (lifetime.ts), and deletes a session past its absolute timeout on sight. A session's
//   "last seen" is read back from that renewal (its TTL), so listing sessions costs no extra write.
// - Ending all of a user's sessions ends exactly the ids it found in the per-user index and removes
//   only those: the index key is never deleted whole, so a session made meanwhile (a login racing
//   "log out everywhere") stays in it and is ended by the next call.
// - A session's public id (the list of sessions, DELETE /auth/sessions/<id>) is an HMAC of its id
//   under a key derived from SESSION_SECRET: stable across instances, and revealing nothing of the
//   cookie or the store key.
// - A stored session is changed in place (emailVerified) only while it exists: never revived.
import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import session from "express-session";
import type { Request, RequestHandler, Response } from "express";
import type { AuthServiceClient, RefreshTokenGrant } from "../auth-client/client.js";
import type { Config } from "../config.js";
import { ApiError } from "../http/errors.js";
import type { Logger } from "../ops/logger.js";
import type { SessionBackend } from "./backend.js";
import { cookieSettings, SessionCookie } from "./cookie.js";
import { idleRenewal, sessionTtlMs, type SessionLimits } from "./lifetime.js";
import type { ActiveSession, SessionRecord, SessionUser } from "./record.js";
import { userAgentLabel } from "./user-agent.js";

export interface SessionsDeps {
  config: Config;
  backend: SessionBackend;
  limits: SessionLimits;
  authClient: AuthServiceClient;
  logger: Logger;
}

/** The index of a user's sessions in the shared store, for "log out everywhere". */
const userIndexKey = (userId: string): string => `user-sessions:${userId}`;

/** One of a user's sessions, as their list of sessions shows it. */
export interface UserSession {
  sid: string;
  /** Opaque and stable: an HMAC of the session id, never the id or anything it can be derived from. */
  publicId: string;
  record: SessionRecord;
  /** Epoch ms: when the session was last used, to within the idle window's renewal interval. */
  lastSeenAt: number;
}

export class Sessions {
  /** express-session, for the routes that create or replace a session (login, signup). */
  readonly middleware: RequestHandler;
  readonly cookie: SessionCookie;
  private readonly endHooks: Array<(sid: string) => Promise<void>> = [];
  private readonly publicIdKey: Buffer;

  constructor(private readonly deps: SessionsDeps) {
    const { config, backend } = deps;
    // Its own key, derived one way from the newest secret: a public id is no signature of anything the cookie holds.
    this.publicIdKey = createHmac("sha256", config.sessionSecrets[0]!).update("auth-elements public session id v1").digest();
    this.cookie = new SessionCookie(cookieSettings(config), config.sessionSecrets);
    const cookie = this.cookie.settings;
    this.middleware = session({
      name: cookie.name,
      secret: config.sessionSecrets,
      store: backend.store,
      resave: false,
      saveUninitialized: false, // an anonymous visitor gets no cookie and no store entry
      rolling: false,
      unset: "destroy",
      // No `proxy` option: express-session then asks `req.secure`, which follows the app's `trust proxy`
      // function (the request context's), so an untrusted peer never makes the cookie Secure or not.
      cookie: {
        httpOnly: cookie.httpOnly,
        sameSite: cookie.sameSite,
        path: cookie.path,
        secure: cookie.secure,
        maxAge: config.sessionAbsoluteTimeoutMs,
      },
    }) as RequestHandler;
  }

  /** Runs `hook` whenever a session ends (the gateway forgets the session's JWT). */
  onEnd(hook: (sid: string) => Promise<void>): void {
    this.endHooks.push(hook);
  }

  /** The session id from the signed cookie; null when absent or badly signed. */
  sessionId(req: IncomingMessage): string | null {
    return this.cookie.sessionId(req);
  }

  /** The record stored under a session id, or null. Throws 503 when the store is down. */
  async read(sid: string): Promise<SessionRecord | null> {
    return (await this.deps.backend.read(sid))?.record ?? null;
  }

  /** The signed-in session of this request, or null. Throws 503 when the store is down. */
  async load(req: IncomingMessage): Promise<ActiveSession | null> {
    const sid = this.sessionId(req);
    if (sid === null) return null;
    const { backend, limits } = this.deps;
    const stored = await backend.read(sid);
    const record = stored?.record;
    if (!stored || !record) return null;
    const now = Date.now();
    const allowedTtl = sessionTtlMs(record, limits, now);
    if (allowedTtl <= 0) {
      await backend.destroy(sid);
      return null;
    }
    let ttlMs = Math.min(stored.ttlMs, allowedTtl);
    const renewed = idleRenewal(limits, stored.ttlMs, allowedTtl);
    if (renewed !== undefined) {
      await backend.extend(sid, renewed);
      ttlMs = renewed;
    }
    return { ...record, sid, expiresAt: now + ttlMs };
  }

  /**
   * Signs this request's browser in with `grant`: a new session id (the cookie changes), the record
   * stored and indexed under the user. A session the browser had before is ended. Resolves to when
   * the new session ends if nothing else happens. Needs `middleware` to have run on `req`.
   */
  async establish(req: Request, grant: RefreshTokenGrant, user: SessionUser): Promise<number> {
    const { backend, limits, authClient, logger } = this.deps;
    const createdAt = Date.now();
    // The session this login replaces (the same browser was signed in): its token must not outlive it.
    const before = req.session as Partial<SessionRecord>;
    const replaced =
      before.refreshToken && before.refreshTokenIri && before.user ? { sid: req.sessionID, record: { ...before } } : undefined;
    try {
      await promisify(req.session.regenerate.bind(req.session))();
      const record: SessionRecord = {
        user,
        userIri: grant.user.iri,
        refreshToken: grant.token,
        refreshTokenIri: grant.iri,
        createdAt,
        userAgent: userAgentLabel(req.headers["user-agent"]),
      };
      Object.assign(req.session, record);
      await promisify(req.session.save.bind(req.session))();
      await backend.kv.addToSet(userIndexKey(user.id), req.sessionID, limits.absoluteMs);
    } catch (error) {
      // Nothing may be left behind: a refresh token that no session holds is revoked at once, and the
      // half-made session is dropped, or express-session would still send its cookie with the error and
      // retry the save when the response ends (storing a session whose token was just revoked).
      delete (req as { session?: unknown }).session;
      await authClient.revokeRefreshToken(grant.iri, grant.token).catch(() => undefined);
      throw error instanceof ApiError ? error : new ApiError(503, "session_store_unavailable", { cause: error });
    }
    if (replaced) {
      // regenerate() deleted its store key; revoke its refresh token and drop what was kept beside it.
      await this.end(replaced.sid, replaced.record as SessionRecord).catch((error: unknown) => {
        logger.warn({ event: "replaced_session_cleanup_failed", code: (error as ApiError).code }, "could not end the replaced session");
      });
    }
    return createdAt + Math.min(limits.idleMs, limits.absoluteMs);
  }

  /**
   * Ends a session everywhere: revokes its refresh token upstream (best effort: the session ends
   * regardless, and the token expires upstream on its own), deletes its store key, its index entry
   * and what the end hooks keep. `record` null: whatever the key holds is deleted.
   */
  async end(sid: string, record: SessionRecord | null, options: { revoke?: boolean } = {}): Promise<void> {
    const { backend, authClient, logger } = this.deps;
    if (record && options.revoke !== false) {
      try {
        await authClient.revokeRefreshToken(record.refreshTokenIri, record.refreshToken);
      } catch (error) {
        logger.warn({ event: "refresh_revoke_failed", code: (error as ApiError).code }, "could not revoke refresh token");
      }
    }
    await backend.destroy(sid);
    await Promise.all([
      ...this.endHooks.map((hook) => hook(sid)),
      record ? backend.kv.removeFromSet(userIndexKey(record.user.id), sid) : undefined,
    ]);
  }

  /** Every session id indexed under a user (some may have ended on their own since). */
  sessionIdsOf(userId: string): Promise<string[]> {
    return this.deps.backend.kv.members(userIndexKey(userId));
  }

  /** The opaque public id of a session. */
  publicId(sid: string): string {
    return createHmac("sha256", this.publicIdKey).update(sid).digest("base64url").slice(0, 22);
  }

  /** The user's live sessions, read through the per-user index (ids whose session ended are skipped). */
  async sessionsOf(userId: string): Promise<UserSession[]> {
    const { backend, limits } = this.deps;
    const sids = await this.sessionIdsOf(userId);
    const found = await Promise.all(
      sids.map(async (sid) => {
        const stored = await backend.read(sid);
        const record = stored?.record;
        if (!stored || !record || record.user.id !== userId) return undefined;
        const now = Date.now();
        // The idle window was last renewed to `idleMs` from then: read that moment back from the TTL left.
        const lastSeenAt = Math.min(now, Math.max(record.createdAt, now + stored.ttlMs - limits.idleMs));
        return { sid, publicId: this.publicId(sid), record, lastSeenAt } satisfies UserSession;
      }),
    );
    return found.filter((session): session is UserSession => session !== undefined);
  }

  /**
   * Ends every session of a user found in the index, except `except`, on every instance; resolves to how many ended.
   * Removes only the ids it ended (or found over): a session indexed meanwhile stays for the next call.
   * `revoke: false` when the auth service already revoked the refresh tokens (a reset, a password change).
   */
  async endAllOf(userId: string, options: { except?: string; include?: string; revoke?: boolean } = {}): Promise<number> {
    const { backend } = this.deps;
    const indexed = await this.sessionIdsOf(userId);
    // `include`: the caller's own session, ended even if its index entry went missing.
    const all = options.include !== undefined && !indexed.includes(options.include) ? [...indexed, options.include] : indexed;
    const sids = all.filter((sid) => sid !== options.except);
    // In parallel: a slow auth service then costs one AUTH_TIMEOUT_MS, not one per session.
    const ended = await Promise.all(
      sids.map(async (sid) => {
        const record = await this.read(sid);
        if (record && record.user.id !== userId) {
          // Not this user's (an index entry left from a reused id): leave the session alone, drop the entry.
          await backend.kv.removeFromSet(userIndexKey(userId), sid);
          return false;
        }
        if (record) await this.end(sid, record, options.revoke === false ? { revoke: false } : {});
        else await Promise.all([backend.kv.removeFromSet(userIndexKey(userId), sid), ...this.endHooks.map((hook) => hook(sid))]);
        return record !== null;
      }),
    );
    return ended.filter(Boolean).length;
  }

  /**
   * Records whether the user's address is verified in their stored sessions (all of them, or only `sid`), so every
   * session body shows it at once. A session that ends meanwhile stays ended.
   */
  async setEmailVerified(userId: string, verified: boolean, sid?: string): Promise<void> {
    const sids = sid !== undefined ? [sid] : await this.sessionIdsOf(userId);
    await Promise.all(
      sids.map((one) =>
        this.deps.backend.patch(one, (stored) => {
          const user = stored.user as Partial<SessionUser> | undefined;
          if (!user || user.id !== userId || user.emailVerified === verified) return false;
          user.emailVerified = verified;
          return true;
        }),
      ),
    );
  }

  clearCookie(res: Response): void {
    this.cookie.clear(res);
  }
}

/** The body of an authenticated session, as every route that returns one shapes it. */
export function sessionBody(user: SessionUser, expiresAt: number): { authenticated: true; user: SessionUser; expiresAt: string } {
  const shown: SessionUser = { id: user.id, email: user.email };
  if (user.emailVerified !== undefined) shown.emailVerified = user.emailVerified;
  return { authenticated: true, user: shown, expiresAt: new Date(expiresAt).toISOString() };
}
