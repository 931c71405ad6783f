// The session seam: the one place where sessions are created, found, regenerated and ended.
// express-session (the cookie format, id generation, regeneration and the store through
// connect-redis or SQLite) is used behind this module only; routes and the gateway ask it, and none
// reaches around it.
//
// Threat model and stance:
// - Login regenerates the id (no fixation): the old cookie value and its store key are gone.
// - A session that cannot be stored completely is dropped, and its refresh token revoked at once:
//   no half-made session, no refresh token that no session holds.
// - Ending a session revokes its refresh token upstream (best effort: at the auth service, or at
//   the OIDC provider when it offers revocation), deletes its store key, its entries in the indexes
//   and everything kept beside it (the gateway's JWT cache, a provider's rotated tokens), on every
//   instance, since all of that lives in the shared store.
// - A sign-in through an OIDC provider takes the same path as a password login (regenerated id, the
//   record stored and indexed, the replaced session ended); it is also indexed by the provider's
//   session id (`sid`), and its user index is the provider's subject (user id `oidc:<provider>:<sub>`),
//   so a back-channel logout finds every session it names.
// - The hot-path reader does one store round trip, writes only when the idle window is due for
//   renewal (lifetime.ts), and deletes a session past its absolute timeout on sight. A session's
//   "last seen" is read back from that renewal (its TTL), so listing sessions costs no extra write.
// - Ending all of a user's sessions ends exactly the ids it found in the per-user index and removes
//   only those: the index key is never deleted whole, so a session made meanwhile (a login racing
//   "log out everywhere") stays in it and is ended by the next call.
// - A session's public id (the list of sessions, DELETE /auth/sessions/<id>) is an HMAC of its store
//   key under a key derived from SESSION_SECRET: stable across instances, and revealing nothing of the
//   cookie or the store key.
// - The store never holds a cookie's id nor a token in the clear (session-keys.ts): sessions, the
//   indexes, the JWT cache and the locks are keyed by the store key, derived one way from the id,
//   and tokens are sealed under a key only the cookie opens. Listing and ending another session
//   (log out everywhere, DELETE /auth/sessions/<id>, back-channel logout) need no cookie; revoking a
//   refresh token upstream does, so a session ended without its cookie is deleted with its sealed
//   token, which nobody can open any more, and the token expires upstream on its own.
// - A stored session is changed in place (emailVerified) only while it exists: never revived.
import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import session from "express-session";
import type { Request, RequestHandler, Response } from "express";
import type { AuthServiceClient, RefreshTokenGrant } from "../auth-client/client.js";
import type { OidcClients } from "../auth-client/oidc.js";
import type { Config } from "../config.js";
import { ApiError } from "../http/errors.js";
import type { Logger } from "../ops/logger.js";
import type { SessionBackend } from "./backend.js";
import { cookieSettings, SessionCookie } from "./cookie.js";
import { idleRenewal, sessionTtlMs, type SessionLimits } from "./lifetime.js";
import type { ProviderTokenStore } from "./provider-tokens.js";
import {
  activeSession,
  oidcUserId,
  toSessionRecord,
  type ActiveSession,
  type ProviderLogin,
  type SessionRecord,
  type SessionUser,
  type UnsealedRecord,
} from "./record.js";
import { SealingStore, tokensOf, type SessionKeys, type SessionSecret, type SessionTokens } from "./session-keys.js";
import { userAgentLabel } from "./user-agent.js";

export interface SessionsDeps {
  config: Config;
  backend: SessionBackend;
  limits: SessionLimits;
  authClient: AuthServiceClient;
  logger: Logger;
  /** The OIDC providers and the sessions' rotated tokens: to revoke an OIDC session's refresh token. */
  oidc?: { clients: OidcClients; tokens: ProviderTokenStore };
}

/** The index of a user's sessions in the shared store, for "log out everywhere" (and back-channel logout by `sub`). */
const userIndexKey = (userId: string): string => `user-sessions:${userId}`;
/** The index of the sessions signed in through one session at a provider, for back-channel logout by `sid`. */
const providerSessionKey = (provider: string, sid: string): string => `oidc-sid-sessions:${provider}:${sid}`;

/** A session's record, with the secret its cookie opened when the caller has that cookie (needed to revoke its tokens). */
export type EndingSession = SessionRecord & { secret?: SessionSecret | undefined };

/** A record being revoked: a stored one (sealed, perhaps with its secret), or one never stored. */
type RevocableRecord = UnsealedRecord & { sealed?: string; secret?: SessionSecret | undefined };

/** One of a user's sessions, as their list of sessions shows it. */
export interface UserSession {
  /** Its store key. */
  sid: string;
  /** Opaque and stable: an HMAC of the store key, never the cookie's id or anything it can be derived from. */
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
      // express-session knows the cookie's id; the backend only ever sees store keys and sealed tokens.
      store: new SealingStore(backend.store, (cookieId) => this.cookie.keysOf(cookieId)),
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

  /** What this request's signed cookie opens (store key, secret); null when absent or badly signed. */
  keysOf(req: IncomingMessage): SessionKeys | null {
    return this.cookie.keys(req);
  }

  /** The record stored under a store key, or null (its tokens stay sealed). Throws 503 when the store is down. */
  async read(sid: string): Promise<SessionRecord | null> {
    return (await this.deps.backend.read(sid))?.record ?? null;
  }

  /** The record a cookie's keys find, with their secret: its tokens can be opened and revoked. */
  async readOwn(keys: SessionKeys): Promise<(SessionRecord & { secret: SessionSecret }) | null> {
    const record = await this.read(keys.storeKey);
    return record ? { ...record, secret: keys.secret } : null;
  }

  /** The session's tokens in the clear (opened once per session object); null when its secret does not open them. */
  tokens(session: SessionRecord & { secret: SessionSecret }): SessionTokens | null {
    return tokensOf(session);
  }

  /** The signed-in session of this request, or null. Throws 503 when the store is down. */
  async load(req: IncomingMessage): Promise<ActiveSession | null> {
    const keys = this.keysOf(req);
    if (keys === null) return null;
    const sid = keys.storeKey;
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
    // The tokens stay sealed until a path needs them (the session check never does; the gateway on a JWT cache miss).
    return activeSession(record, sid, keys.secret, now + ttlMs);
  }

  /**
   * Signs this request's browser in with `grant`: a new session id (the cookie changes), the record
   * stored and indexed under the user. A session the browser had before is ended. Resolves to when
   * the new session ends if nothing else happens. Needs `middleware` to have run on `req`.
   */
  establish(req: Request, grant: RefreshTokenGrant, user: SessionUser): Promise<number> {
    const record = { user, userIri: grant.user.iri, refreshTokenIri: grant.iri, createdAt: Date.now() };
    return this.begin(req, record, { refreshToken: grant.token });
  }

  /**
   * Signs this request's browser in with what an OIDC provider gave, exactly as `establish` does.
   * `replaces`: the cookie id of the session this browser held when it started the sign-in (its
   * SameSite=Strict cookie does not come along on the provider's cross-site redirect; the flow kept
   * it sealed), ended like a replaced one.
   */
  establishWithProvider(req: Request, login: ProviderLogin, user: SessionUser, replaces?: string): Promise<number> {
    const { tokens, ...oidc } = login;
    return this.begin(req, { user, oidc, createdAt: Date.now() }, { provider: tokens }, replaces);
  }

  private async begin(req: Request, record: UnsealedRecord, tokens: SessionTokens, replaces?: string): Promise<number> {
    const { backend, limits, logger } = this.deps;
    // The session this login replaces (the same browser was signed in): its token must not outlive it.
    const before = toSessionRecord(req.session);
    const replaced = before ? { keys: this.cookie.keysOf(req.sessionID), record: before } : undefined;
    try {
      await promisify(req.session.regenerate.bind(req.session))();
      record.userAgent = userAgentLabel(req.headers["user-agent"]);
      Object.assign(req.session, record, { tokens });
      await promisify(req.session.save.bind(req.session))();
      const storeKey = this.cookie.keysOf(req.sessionID).storeKey;
      await Promise.all([
        backend.kv.addToSet(userIndexKey(record.user.id), storeKey, limits.absoluteMs),
        record.oidc?.sid !== undefined
          ? backend.kv.addToSet(providerSessionKey(record.oidc.provider, record.oidc.sid), storeKey, limits.absoluteMs)
          : undefined,
      ]);
    } catch (error) {
      // Nothing may be left behind: a refresh token that no session holds is revoked at once, and the
      // half-made session is dropped, or express-session would still send its cookie with the error and
      // retry the save when the response ends (storing a session whose token was just revoked).
      delete (req as { session?: unknown }).session;
      await this.revoke(undefined, record, tokens).catch(() => undefined);
      throw error instanceof ApiError ? error : new ApiError(503, "session_store_unavailable", { cause: error });
    }
    const others = replaced ? [replaced] : [];
    if (replaces !== undefined && replaces !== replaced?.keys.cookieId && replaces !== req.sessionID) {
      const keys = this.cookie.keysOf(replaces);
      const previous = await this.read(keys.storeKey).catch(() => null);
      if (previous) others.push({ keys, record: previous });
    }
    for (const other of others) {
      // regenerate() deleted its store key (or it is still there); revoke its refresh token and drop what was kept beside it.
      await this.end(other.keys.storeKey, { ...other.record, secret: other.keys.secret }).catch((error: unknown) => {
        logger.warn({ event: "replaced_session_cleanup_failed", code: (error as ApiError).code }, "could not end the replaced session");
      });
    }
    return record.createdAt + Math.min(limits.idleMs, limits.absoluteMs);
  }

  /**
   * Ends a session everywhere: revokes its refresh token upstream when the record comes with its
   * cookie's secret (best effort: the session ends regardless, and the token expires upstream on its
   * own), deletes its store key, its index entry and what the end hooks keep. `sid` is its store key;
   * `record` null: whatever the key holds is deleted.
   */
  async end(sid: string, record: EndingSession | null, options: { revoke?: boolean } = {}): Promise<void> {
    const { backend, logger } = this.deps;
    const tokens = record?.secret && options.revoke !== false ? tokensOf({ sealed: record.sealed, secret: record.secret }) : null;
    if (record && tokens) {
      try {
        await this.revoke(sid, record, tokens);
      } catch (error) {
        logger.warn({ event: "refresh_revoke_failed", code: (error as ApiError).code }, "could not revoke refresh token");
      }
    }
    await backend.destroy(sid);
    await Promise.all([
      ...this.endHooks.map((hook) => hook(sid)),
      record ? backend.kv.removeFromSet(userIndexKey(record.user.id), sid) : undefined,
      record?.oidc?.sid !== undefined
        ? backend.kv.removeFromSet(providerSessionKey(record.oidc.provider, record.oidc.sid), sid)
        : undefined,
    ]);
  }

  /**
   * Ends the sessions a provider's back-channel logout names: those signed in through its session
   * `sid` when given (and, with a `sub` too, of that subject only), else every session of `sub`.
   * Resolves to how many ended. Refresh tokens are not revoked: the provider has ended the grant.
   */
  async endProviderSessions(provider: string, named: { sub: string | undefined; sid: string | undefined }): Promise<number> {
    const { backend } = this.deps;
    const indexKey = named.sid !== undefined ? providerSessionKey(provider, named.sid) : userIndexKey(oidcUserId(provider, named.sub!));
    const sids = await backend.kv.members(indexKey);
    const endedEach = await Promise.all(
      sids.map(async (sid) => {
        const record = await this.read(sid);
        const oidc = record?.oidc;
        // Only sessions of this provider, this provider session and this subject: never another's.
        if (!oidc || oidc.provider !== provider) return false;
        if (named.sid !== undefined && oidc.sid !== named.sid) return false;
        if (named.sub !== undefined && oidc.sub !== named.sub) return false;
        await this.end(sid, record, { revoke: false });
        return true;
      }),
    );
    return endedEach.filter(Boolean).length;
  }

  /**
   * Revokes a record's refresh token where it was issued (the newest one, for a provider's rotated tokens).
   * `sid` undefined: a session never stored; its sign-in tokens are all there is.
   */
  private async revoke(sid: string | undefined, record: RevocableRecord, tokens: SessionTokens): Promise<void> {
    if (!record.oidc) {
      if (tokens.refreshToken !== undefined) await this.deps.authClient.revokeRefreshToken(record.refreshTokenIri, tokens.refreshToken);
      return;
    }
    const oidc = this.deps.oidc;
    if (!oidc) return;
    const stored =
      sid !== undefined && record.secret && record.sealed !== undefined
        ? { sid, secret: record.secret, sealed: record.sealed, createdAt: record.createdAt }
        : undefined;
    const newest = stored ? (await oidc.tokens.current(stored))?.tokens : tokens.provider;
    if (newest?.refreshToken !== undefined) await oidc.clients.revoke(record.oidc.provider, newest.refreshToken);
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
  async endAllOf(userId: string, options: { except?: string; include?: ActiveSession; revoke?: boolean } = {}): Promise<number> {
    const { backend } = this.deps;
    const indexed = await this.sessionIdsOf(userId);
    const own = options.include;
    // `include`: the caller's own session, ended even if its index entry went missing (and the one whose token can be revoked).
    const all = own !== undefined && !indexed.includes(own.sid) ? [...indexed, own.sid] : indexed;
    const sids = all.filter((sid) => sid !== options.except);
    // In parallel: a slow auth service then costs one AUTH_TIMEOUT_MS, not one per session.
    const ended = await Promise.all(
      sids.map(async (sid) => {
        const stored = await this.read(sid);
        const record: EndingSession | null = stored && own?.sid === sid ? { ...stored, secret: own.secret } : stored;
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
