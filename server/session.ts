// Session cookie and lifecycle: express-session for the routes that create sessions, and a lean
// reader for the hot paths (session check, gateway) that goes straight to the store.
//
// Threat model and stance:
// - The browser holds only an opaque id (192 random bits from uid-safe), HMAC-signed with
//   SESSION_SECRET (a list, newest first, so old cookies survive rotation). It is read from the
//   cookie alone, never from a header, query or body.
// - Cookie: HttpOnly (no script can read it), SameSite=Strict, Path=/, no Domain; over HTTPS Secure
//   and a `__Host-` name, so a sibling subdomain cannot set or shadow it.
// - Login regenerates the id (no fixation); logout deletes the store key and clears the cookie.
// - Idle timeout: the store TTL, slid at most once per touch interval (cheap reads, still sliding).
//   Absolute timeout: counted from the stored creation time; it never slides, and the cookie's own
//   Expires is set to it, so the cookie never needs re-sending.
// - CSRF is handled by csrf.ts (X-CSRF header plus Origin checks), not by the cookie alone.
import type { IncomingMessage } from "node:http";
import { unsign } from "cookie-signature";
import session from "express-session";
import type { RequestHandler } from "express";
import type { Config } from "./config.js";
import { sessionTtlMs, type SessionBackend, type StoredSession, type SessionUser } from "./session-backend.js";

export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
  /** The idle window is renewed when more than this has passed since it was last renewed. */
  touchIntervalMs: number;
}

export function sessionLimits(config: Config): SessionLimits {
  return {
    idleMs: config.sessionIdleTimeoutMs,
    absoluteMs: config.sessionAbsoluteTimeoutMs,
    touchIntervalMs: Math.min(60_000, Math.floor(config.sessionIdleTimeoutMs / 10)),
  };
}

export interface CookieSettings {
  name: string;
  httpOnly: true;
  sameSite: "strict";
  path: "/";
  secure: boolean;
}

export function cookieSettings(config: Config): CookieSettings {
  return { name: config.cookieName, httpOnly: true, sameSite: "strict", path: "/", secure: config.cookieSecure };
}

/** express-session, configured for the routes that create or replace a session (login, signup). */
export function createSessionMiddleware(config: Config, backend: SessionBackend): RequestHandler {
  const cookie = cookieSettings(config);
  return session({
    name: cookie.name,
    secret: config.sessionSecrets,
    store: backend.store,
    resave: false,
    saveUninitialized: false, // an anonymous visitor gets no cookie and no store entry
    rolling: false,
    unset: "destroy",
    // No `proxy` option: express-session then asks `req.secure`, which follows the app's `trust proxy`
    // (TRUST_PROXY) exactly, so TRUST_PROXY=false (or unset) never believes a spoofed X-Forwarded-Proto.
    cookie: {
      httpOnly: cookie.httpOnly,
      sameSite: cookie.sameSite,
      path: cookie.path,
      secure: cookie.secure,
      maxAge: config.sessionAbsoluteTimeoutMs,
    },
  }) as RequestHandler;
}

export interface LoadedSession {
  sid: string;
  user: SessionUser;
  userIri: string;
  refreshToken: string;
  refreshTokenIri: string;
  createdAt: number;
  /** When the session ends if nothing else happens: ISO 8601 in responses. */
  expiresAt: number;
}

/**
 * The session cookie's value as sent (still percent-encoded), or null. A plain scan rather than a
 * full parse: the hot paths only ever want this one cookie. The first occurrence wins, as in
 * express-session's own parser.
 */
function encodedSessionCookie(req: IncomingMessage, cookieName: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  let at = 0;
  for (;;) {
    const found = header.indexOf(cookieName, at);
    if (found === -1) return null;
    const end = found + cookieName.length;
    const before = found === 0 ? "" : header.slice(0, found).trimEnd();
    if ((before === "" || before.endsWith(";")) && header.slice(end).trimStart().startsWith("=")) {
      const valueStart = header.indexOf("=", end) + 1;
      const semicolon = header.indexOf(";", valueStart);
      let value = header.slice(valueStart, semicolon === -1 ? undefined : semicolon).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      return value;
    }
    at = end;
  }
}

function decodeCookieValue(encoded: string): string | null {
  if (!encoded.includes("%")) return encoded;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

/** Verifies an express-session cookie value (`s:<sid>.<hmac>`) against each secret, newest first. */
function unsignSessionCookie(raw: string, secrets: readonly string[]): string | null {
  if (!raw.startsWith("s:")) return null;
  const signed = raw.slice(2);
  for (const secret of secrets) {
    const sid = unsign(signed, secret);
    if (sid !== false) return sid;
  }
  return null;
}

/** Verified cookie values are remembered (same bytes, same answer), so a hot session skips the HMAC. */
const VERIFIED_CACHE_LIMIT = 10_000;

/**
 * The hot-path session reader: one store round trip, no write unless the idle window is due for
 * renewal, and an expired (absolute) session is deleted on sight.
 */
export class SessionReader {
  constructor(
    private readonly backend: SessionBackend,
    private readonly cookieName: string,
    private readonly secrets: readonly string[],
    private readonly limits: SessionLimits,
  ) {}

  private readonly verified = new Map<string, string>();

  /** The session id from the signed cookie; null when absent or badly signed. Never from elsewhere. */
  sessionId(req: IncomingMessage): string | null {
    const encoded = encodedSessionCookie(req, this.cookieName);
    if (encoded === null) return null;
    const known = this.verified.get(encoded);
    if (known !== undefined) return known;
    const raw = decodeCookieValue(encoded);
    const sid = raw === null ? null : unsignSessionCookie(raw, this.secrets);
    if (sid !== null) {
      if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
      this.verified.set(encoded, sid);
    }
    return sid;
  }

  /** The signed-in session of this request, or null. Throws 503 when the store is down. */
  async load(req: IncomingMessage): Promise<LoadedSession | null> {
    const sid = this.sessionId(req);
    if (sid === null) return null;
    const record = await this.backend.read(sid);
    if (!record) return null;
    const stored = record.session;
    if (!isSignedIn(stored)) return null;
    const now = Date.now();
    const allowedTtl = sessionTtlMs(stored, this.limits, now);
    if (allowedTtl <= 0) {
      await this.backend.destroy(sid);
      return null;
    }
    let ttlMs = Math.min(record.ttlMs, allowedTtl);
    if (this.limits.idleMs - record.ttlMs > this.limits.touchIntervalMs && allowedTtl > record.ttlMs) {
      await this.backend.extend(sid, allowedTtl);
      ttlMs = allowedTtl;
    }
    return {
      sid,
      user: stored.user,
      userIri: stored.userIri,
      refreshToken: stored.refreshToken,
      refreshTokenIri: stored.refreshTokenIri,
      createdAt: stored.createdAt,
      expiresAt: now + ttlMs,
    };
  }
}

function isSignedIn(stored: StoredSession): stored is Required<Omit<StoredSession, "cookie">> & StoredSession {
  return (
    !!stored.user &&
    typeof stored.user.id === "string" &&
    typeof stored.userIri === "string" &&
    typeof stored.refreshToken === "string" &&
    typeof stored.refreshTokenIri === "string" &&
    typeof stored.createdAt === "number"
  );
}

/** The body of an authenticated session, as every route that returns one shapes it. */
export function sessionBody(user: SessionUser, expiresAt: number): { authenticated: true; user: SessionUser; expiresAt: string } {
  return { authenticated: true, user: { id: user.id, email: user.email }, expiresAt: new Date(expiresAt).toISOString() };
}
