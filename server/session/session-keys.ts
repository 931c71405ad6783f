// What a session's cookie id opens: its store key, and the secret its tokens are sealed with
// (oauth2-proxy's ticket design). The one place that derives either, and that seals and opens.
//
// Threat model: a copy of the store (a Redis dump, the SQLite file, a replica, a backup) must not be
// a key to the accounts. So:
// - The cookie carries the session id (192 CSPRNG bits from express-session, HMAC-signed with
//   SESSION_SECRET). Nothing stores it: the store key is HKDF-SHA256 of it under one label, the
//   token key HKDF-SHA256 of it under another. Both are one way: neither gives the id back, nor the
//   other key, so a store key taken from a dump is no cookie, and it opens nothing.
// - Every token (the auth service's refresh token, an OIDC provider's access, refresh and ID tokens,
//   the gateway's cached JWTs) is stored sealed with AES-256-GCM under the token key (a fresh 96-bit
//   IV each time; the purpose is the additional data, so a sealed value cannot be moved to another
//   use). What must work without the cookie (listing a user's sessions, ending another one,
//   back-channel logout, the per-user index, the single-flight locks) uses the store key and the
//   record's clear fields only; only opening tokens needs the cookie.
// - Nothing here depends on SESSION_SECRET: rotating it (the cookie signature still verifies with
//   an old one) changes no store key and no token key, and every instance derives the same ones.
// - Sessions stored before this scheme sit under their raw ids: they are simply not found (signed out).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { inspect } from "node:util";
import session from "express-session";
import type { SessionData, Store } from "express-session";

const SALT = "auth-elements session keys v1";
const SEAL_VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What one sealed value is for: the additional data of its encryption. */
export type SealPurpose = "session-tokens" | "jwt" | "provider-tokens" | "browser-bound";

/** A session's token key. Seals and opens; never serialised (JSON and inspection show nothing). */
export class SessionSecret {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** AES-256-GCM of `value`'s JSON: `v1.<base64url of iv | ciphertext | tag>`. */
  seal(purpose: SealPurpose, value: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    return SEAL_VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
  }

  /** The value `seal` sealed for this purpose with this key, or null (another key, purpose, or tampered). */
  open<T>(purpose: SealPurpose, sealed: unknown): T | null {
    if (typeof sealed !== "string" || !sealed.startsWith(SEAL_VERSION)) return null;
    const bytes = Buffer.from(sealed.slice(SEAL_VERSION.length), "base64url");
    if (bytes.length < IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
      return JSON.parse(text.toString("utf8")) as T;
    } catch {
      return null;
    }
  }

  toJSON(): string {
    return "[session secret]";
  }

  [inspect.custom](): string {
    return "SessionSecret {}";
  }
}

/** What a session's cookie id opens. */
export interface SessionKeys {
  /** The id the signed cookie carries; never stored. */
  cookieId: string;
  /** Where the session lives in the store, and what the indexes, locks and caches are keyed by. */
  storeKey: string;
  secret: SessionSecret;
}

const derive = (material: string, info: string): Buffer => Buffer.from(hkdfSync("sha256", material, SALT, info, 32));

/** The store key of a cookie id: HKDF-SHA256, 43 base64url characters. */
export function storeKeyOf(cookieId: string): string {
  return derive(cookieId, "store key").toString("base64url");
}

/** Derives a cookie id's store key and token key (two HKDFs: cache the result per cookie, see cookie.ts). */
export function sessionKeys(cookieId: string): SessionKeys {
  return { cookieId, storeKey: storeKeyOf(cookieId), secret: new SessionSecret(derive(cookieId, "token key")) };
}

/** A secret for another value only its holder has (a browser-binding cookie, browser-bound.ts). */
export function secretOf(material: string, info: string): SessionSecret {
  return new SessionSecret(derive(material, info));
}

/** The tokens of a session: sealed in the store as its record's `sealed` field, in clear only in memory. */
export interface SessionTokens {
  /** The auth service's refresh token (a session signed in through the auth service). */
  refreshToken?: string | undefined;
  /** The tokens an OIDC provider gave at sign-in (its refreshed ones live beside the record: provider-tokens.ts). */
  provider?: ProviderTokens | undefined;
}

/** The tokens an OIDC provider gave (at sign-in, or at a refresh). */
export interface ProviderTokens {
  accessToken: string;
  /** When the access token expires, epoch ms. */
  expiresAt: number;
  refreshToken?: string | undefined;
  /** The ID token, for `id_token_hint` at RP-initiated logout. */
  idToken: string;
}

const opened = new WeakMap<object, SessionTokens | null>();

/**
 * A session's tokens, opened once per session object (so once per request at most, and only on the
 * paths that need them); null when they cannot be opened with this secret.
 */
export function tokensOf(session: { sealed: string; secret: SessionSecret }): SessionTokens | null {
  let tokens = opened.get(session);
  if (tokens === undefined) {
    tokens = session.secret.open<SessionTokens>("session-tokens", session.sealed);
    opened.set(session, tokens);
  }
  return tokens;
}

/**
 * express-session's store as the routes see it, keyed by the cookie id: in front of the backend's
 * store, keyed by store key. A session's `tokens` (set by the login) are sealed into `sealed` on the
 * way in, and opened back on the way out; nothing else changes.
 */
export class SealingStore extends session.Store {
  constructor(
    private readonly inner: Store,
    private readonly keysOf: (cookieId: string) => SessionKeys,
  ) {
    super();
  }

  override get(cookieId: string, callback: (error: unknown, data?: SessionData | null) => void): void {
    const keys = this.keysOf(cookieId);
    this.inner.get(keys.storeKey, (error, data) => {
      if (error || !data) return callback(error, data);
      const stored = data as SessionData & { sealed?: unknown; tokens?: SessionTokens };
      const tokens = keys.secret.open<SessionTokens>("session-tokens", stored.sealed);
      // Not sealed with this cookie's key: not this cookie's session.
      if (tokens === null) return callback(null, null);
      callback(null, Object.assign(stored, { tokens }));
    });
  }

  override set(cookieId: string, data: SessionData, callback?: (error?: unknown) => void): void {
    const keys = this.keysOf(cookieId);
    const { tokens, ...rest } = data as SessionData & { tokens?: SessionTokens };
    const sealed = tokens === undefined ? rest : { ...rest, sealed: keys.secret.seal("session-tokens", tokens) };
    this.inner.set(keys.storeKey, sealed as SessionData, callback);
  }

  override destroy(cookieId: string, callback?: (error?: unknown) => void): void {
    this.inner.destroy(this.keysOf(cookieId).storeKey, callback);
  }

  override touch(cookieId: string, data: SessionData, callback?: () => void): void {
    if (this.inner.touch) this.inner.touch(this.keysOf(cookieId).storeKey, data, callback);
    else callback?.();
  }
}
