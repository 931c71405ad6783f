// The one session record: what a signed-in session holds on the server, as every store keeps it
// (express-session's JSON of `req.session`), and the check that turns what a store returns into a
// record or nothing. The refresh token lives here and never leaves the server.

export interface SessionUser {
  id: string;
  email: string;
  /** Whether the address is verified, once the auth service said so (login answer, JWT call, a verification here). */
  emailVerified?: boolean;
}

export interface SessionRecord {
  user: SessionUser;
  /** The user's IRI at the auth service, used to ask for JWTs. */
  userIri: string;
  refreshToken: string;
  /** The refresh token's IRI, used to revoke it. */
  refreshTokenIri: string;
  /** Epoch ms of login: the absolute timeout counts from here and never slides. */
  createdAt: number;
  /** A short label of the browser that signed in ("Chrome on Linux"), for the user's list of sessions. */
  userAgent?: string;
}

declare module "express-session" {
  // express-session types `req.session` as Partial<SessionData>: a session is being made, or is one of these.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface SessionData extends SessionRecord {}
}

/** A signed-in session found for a request: its record, its id and when it ends if nothing else happens. */
export interface ActiveSession extends SessionRecord {
  sid: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** What a store holds under a session key, read on the hot path, with the TTL it has left. */
export interface StoredSession {
  /** The record, or null for anything that is not a signed-in session (a half-made one, say). */
  record: SessionRecord | null;
  ttlMs: number;
}

/** The record in a store's JSON, or null when it is not a complete signed-in session. */
export function toSessionRecord(json: unknown): SessionRecord | null {
  if (!json || typeof json !== "object") return null;
  const data = json as Partial<Record<keyof SessionRecord, unknown>>;
  const user = data.user as Partial<SessionUser> | undefined;
  if (
    !user ||
    typeof user.id !== "string" ||
    typeof user.email !== "string" ||
    typeof data.userIri !== "string" ||
    typeof data.refreshToken !== "string" ||
    typeof data.refreshTokenIri !== "string" ||
    typeof data.createdAt !== "number"
  ) {
    return null;
  }
  const record: SessionRecord = {
    user: { id: user.id, email: user.email },
    userIri: data.userIri,
    refreshToken: data.refreshToken,
    refreshTokenIri: data.refreshTokenIri,
    createdAt: data.createdAt,
  };
  if (typeof user.emailVerified === "boolean") record.user.emailVerified = user.emailVerified;
  if (typeof data.userAgent === "string") record.userAgent = data.userAgent;
  return record;
}

/** Parses a store's JSON text into a record (null when it is not one, or not JSON at all). */
export function parseSessionRecord(text: string): SessionRecord | null {
  try {
    return toSessionRecord(JSON.parse(text));
  } catch {
    return null;
  }
}
