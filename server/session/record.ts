// The one session record: what a signed-in session holds on the server, as every store keeps it
// (express-session's JSON of `req.session`), and the check that turns what a store returns into a
// record or nothing. Its tokens (the auth service's refresh token, or an OpenID Connect provider's
// tokens) never leave the server: no response body, header or log line carries them, and the store
// holds them only sealed, in `sealed`, under a key only the session's cookie opens (session-keys.ts).
// Everything else here is in the clear, so that a session can be listed or ended without its cookie.
//
// Two kinds, told apart by `oidc`:
// - signed in through the auth service (password, signup): `userIri`, `refreshTokenIri` (the
//   refresh token itself is sealed);
// - signed in through an OIDC provider: `oidc` (provider id, `sub`, the provider's `sid`; the tokens
//   of the sign-in are sealed). `user.id` is `oidc:<provider id>:<sub>`: the provider and the subject
//   together, so two providers never share an account by e-mail alone (oidcUserId below).
//   Refreshed tokens (rotation) are kept beside the record, not in it (session/provider-tokens.ts).
import type { ProviderTokens, SessionSecret, SessionTokens } from "./session-keys.js";

export type { ProviderTokens, SessionTokens } from "./session-keys.js";

export interface SessionUser {
  id: string;
  email: string;
  /** Whether the address is verified, once the auth service said so (login answer, JWT call, a verification here). */
  emailVerified?: boolean;
}

interface RecordBase {
  user: SessionUser;
  /** Epoch ms of login: the absolute timeout counts from here and never slides. */
  createdAt: number;
  /** A short label of the browser that signed in ("Chrome on Linux"), for the user's list of sessions. */
  userAgent?: string;
  /** The session's tokens, sealed (session-keys.ts `tokensOf`). */
  sealed: string;
}

/** A session signed in through the auth service. */
export interface AuthServiceSessionRecord extends RecordBase {
  /** The user's IRI at the auth service, used to ask for JWTs. */
  userIri: string;
  /** The refresh token's IRI, used to revoke it (with the refresh token: the IRI alone revokes nothing). */
  refreshTokenIri: string;
  oidc?: undefined;
}

/** Who signed in through which provider. */
export interface ProviderSession {
  /** The provider's id in OIDC_PROVIDERS. */
  provider: string;
  sub: string;
  /** The provider's session id (the ID token's `sid`), named by back-channel logout tokens. */
  sid?: string | undefined;
}

/** Who signed in through which provider, and the tokens of that sign-in (what a sign-in hands to sessions.ts). */
export interface ProviderLogin extends ProviderSession {
  tokens: ProviderTokens;
}

/** A session signed in through an OpenID Connect provider. */
export interface OidcSessionRecord extends RecordBase {
  oidc: ProviderSession;
  userIri?: undefined;
  refreshTokenIri?: undefined;
}

export type SessionRecord = AuthServiceSessionRecord | OidcSessionRecord;

/** A record before it is stored: its tokens are not sealed yet (they travel beside it). */
export type UnsealedRecord = SessionRecord extends infer R ? (R extends SessionRecord ? Omit<R, "sealed"> : never) : never;

/** The session's `user.id` for a provider's subject: `oidc:<provider id>:<sub>` (ids hold no `:`). */
export function oidcUserId(provider: string, sub: string): string {
  return `oidc:${provider}:${sub}`;
}

declare module "express-session" {
  // express-session types `req.session` as Partial<SessionData>: a session is being made, or is one of these.
  interface SessionData extends RecordBase {
    userIri: string;
    refreshTokenIri: string;
    oidc: ProviderSession;
    /** In memory only: sealed into `sealed` when stored (session-keys.ts SealingStore). */
    tokens: SessionTokens;
  }
}

/**
 * A signed-in session found for a request: its record, its store key (`sid`: what the indexes, the
 * JWT cache and the locks are keyed by, never the cookie's id), the secret its cookie opened, and
 * when it ends if nothing else happens.
 */
export type ActiveSession = SessionRecord & {
  sid: string;
  secret: SessionSecret;
  /** Epoch ms. */
  expiresAt: number;
};

/**
 * The ActiveSession of a record, built as one literal with every key, whichever kind the record is:
 * every session the hot paths hand around then has the same shape. (A spread of the record plus
 * three keys made V8 build a new hidden class on each request: about a fifth of a session check's
 * instructions.)
 */
export function activeSession(record: SessionRecord, sid: string, secret: SessionSecret, expiresAt: number): ActiveSession {
  return {
    user: record.user,
    createdAt: record.createdAt,
    userAgent: record.userAgent,
    sealed: record.sealed,
    userIri: record.userIri,
    refreshTokenIri: record.refreshTokenIri,
    oidc: record.oidc,
    sid,
    secret,
    expiresAt,
  } as ActiveSession;
}

/** What a store holds under a session key, read on the hot path, with the TTL it has left. */
export interface StoredSession {
  /** The record, or null for anything that is not a signed-in session (a half-made one, say). */
  record: SessionRecord | null;
  ttlMs: number;
}

const isString = (value: unknown): value is string => typeof value === "string";

function toProviderSession(value: unknown): ProviderSession | null {
  if (!value || typeof value !== "object") return null;
  const login = value as Partial<Record<keyof ProviderSession, unknown>>;
  if (!isString(login.provider) || !isString(login.sub) || (login.sid !== undefined && !isString(login.sid))) return null;
  return { provider: login.provider, sub: login.sub, sid: login.sid };
}

/** The record in a store's JSON, or null when it is not a complete signed-in session. */
export function toSessionRecord(json: unknown): SessionRecord | null {
  if (!json || typeof json !== "object") return null;
  const data = json as Partial<Record<keyof AuthServiceSessionRecord | "oidc" | "userAgent", unknown>>;
  const user = data.user as Partial<SessionUser> | undefined;
  if (!user || !isString(user.id) || !isString(user.email) || typeof data.createdAt !== "number" || !isString(data.sealed)) return null;
  const base: RecordBase = { user: { id: user.id, email: user.email }, createdAt: data.createdAt, sealed: data.sealed };
  if (typeof user.emailVerified === "boolean") base.user.emailVerified = user.emailVerified;
  if (typeof data.userAgent === "string") base.userAgent = data.userAgent;
  if (data.oidc !== undefined) {
    const oidc = toProviderSession(data.oidc);
    return oidc ? { ...base, oidc } : null;
  }
  if (!isString(data.userIri) || !isString(data.refreshTokenIri)) return null;
  return { ...base, userIri: data.userIri, refreshTokenIri: data.refreshTokenIri };
}

/** Parses a store's JSON text into a record (null when it is not one, or not JSON at all). */
export function parseSessionRecord(text: string): SessionRecord | null {
  try {
    return toSessionRecord(JSON.parse(text));
  } catch {
    return null;
  }
}
