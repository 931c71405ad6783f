// Durable storage of users, refresh-token hashes, link-token hashes (password reset, e-mail verification), passkeys
// and WebAuthn challenges in one SQLite file (<dataDir>/auth-service.sqlite, WAL mode). It never sees a plain password
// or a plain token: callers hand it hashes. A link token, like a WebAuthn challenge, is spent by deleting its row in
// the same statement that finds it, so two concurrent uses of one cannot both succeed. A passkey row holds only the
// public key, its counter and flags: nothing in it signs anything.
import path from "node:path";
import Database from "better-sqlite3";

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: string;
  /** 1 once the user followed a verification link (or a reset link, which proves the same), else 0. */
  verified: number;
  /** The language of the user's mails (BCP 47, from the sign-up), or null. */
  lang: string | null;
}

/** What a link token is for. */
export type LinkTokenKind = "reset" | "verify";

export interface LinkTokenRow {
  token_hash: string;
  kind: LinkTokenKind;
  user_id: string;
  /** Unix seconds. */
  expires_at: number;
}

export interface RefreshTokenRow {
  id: string;
  user_id: string;
  token_hash: string;
  /** Unix seconds. */
  expires_at: number;
  created_at: string;
}

/** Which ceremony a WebAuthn challenge was made for: it serves that one only. */
export type ChallengeKind = "registration" | "authentication";

export interface PasskeyRow {
  id: string;
  user_id: string;
  /** The credential id, base64url, as the authenticator made it. */
  credential_id: string;
  /** The COSE public key. */
  public_key: Buffer;
  /** The signature counter last seen (0 for authenticators that keep none). */
  counter: number;
  /** JSON array of the transports the browser reported, or null. */
  transports: string | null;
  /** "singleDevice" or "multiDevice" (the BE flag). */
  device_type: string;
  /** 1 when the credential is backed up (the BS flag). */
  backed_up: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

export class EmailTakenError extends Error {
  constructor() {
    super("email already used");
    this.name = "EmailTakenError";
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  expires_at INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_user_id ON refresh_tokens(user_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_expires_at ON refresh_tokens(expires_at);
CREATE TABLE IF NOT EXISTS link_tokens (
  token_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('reset', 'verify')),
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS link_tokens_expires_at ON link_tokens(expires_at);
CREATE TABLE IF NOT EXISTS passkeys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  credential_id TEXT NOT NULL UNIQUE,
  public_key BLOB NOT NULL,
  counter INTEGER NOT NULL,
  transports TEXT,
  device_type TEXT NOT NULL,
  backed_up INTEGER NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT
);
CREATE INDEX IF NOT EXISTS passkeys_user_id ON passkeys(user_id);
CREATE TABLE IF NOT EXISTS webauthn_challenges (
  challenge TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('registration', 'authentication')),
  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webauthn_challenges_expires_at ON webauthn_challenges(expires_at);
`;

/** Columns added after the first release: a database made by an older version gets them on open. */
const ADDED_USER_COLUMNS: Array<[string, string]> = [
  ["verified", "INTEGER NOT NULL DEFAULT 0"],
  ["lang", "TEXT"],
];

/** E-mails are compared and stored trimmed and lower-cased, so `A@x.org ` and `a@x.org` are one account. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class AuthStore {
  readonly #db: Database.Database;
  readonly #statements;

  constructor(dataDir: string) {
    this.#db = new Database(path.join(dataDir, "auth-service.sqlite"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("foreign_keys = ON");
    this.#db.pragma("busy_timeout = 5000");
    this.#db.exec(SCHEMA);
    const columns = new Set(
      this.#db
        .prepare<[], { name: string }>("PRAGMA table_info(users)")
        .all()
        .map((column) => column.name),
    );
    for (const [name, definition] of ADDED_USER_COLUMNS) {
      if (!columns.has(name)) this.#db.exec(`ALTER TABLE users ADD COLUMN ${name} ${definition}`);
    }
    const db = this.#db;
    this.#statements = {
      insertUser: db.prepare<[string, string, string, string, string | null]>(
        "INSERT INTO users (id, email, password_hash, created_at, lang) VALUES (?, ?, ?, ?, ?)",
      ),
      setPassword: db.prepare<[string, string]>("UPDATE users SET password_hash = ? WHERE id = ?"),
      setVerified: db.prepare<[string]>("UPDATE users SET verified = 1 WHERE id = ?"),
      deleteTokensOfUser: db.prepare<[string, string]>("DELETE FROM refresh_tokens WHERE user_id = ? AND id <> ?"),
      insertLinkToken: db.prepare<[string, LinkTokenKind, string, number, string]>(
        "INSERT INTO link_tokens (token_hash, kind, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
      ),
      linkToken: db.prepare<[string, LinkTokenKind, number], LinkTokenRow>(
        "SELECT token_hash, kind, user_id, expires_at FROM link_tokens WHERE token_hash = ? AND kind = ? AND expires_at > ?",
      ),
      spendLinkToken: db.prepare<[string, LinkTokenKind, number], LinkTokenRow>(
        "DELETE FROM link_tokens WHERE token_hash = ? AND kind = ? AND expires_at > ? RETURNING token_hash, kind, user_id, expires_at",
      ),
      deleteExpiredLinkTokens: db.prepare<[number]>("DELETE FROM link_tokens WHERE expires_at <= ?"),
      userById: db.prepare<[string], UserRow>("SELECT * FROM users WHERE id = ?"),
      userByEmail: db.prepare<[string], UserRow>("SELECT * FROM users WHERE email = ?"),
      insertToken: db.prepare<[string, string, string, number, string]>(
        "INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
      ),
      tokenById: db.prepare<[string], RefreshTokenRow>("SELECT * FROM refresh_tokens WHERE id = ?"),
      tokenByHash: db.prepare<[string], RefreshTokenRow>("SELECT * FROM refresh_tokens WHERE token_hash = ?"),
      deleteToken: db.prepare<[string]>("DELETE FROM refresh_tokens WHERE id = ?"),
      deleteExpired: db.prepare<[number]>("DELETE FROM refresh_tokens WHERE expires_at <= ?"),
      insertChallenge: db.prepare<[string, ChallengeKind, string | null, number]>(
        "INSERT INTO webauthn_challenges (challenge, kind, user_id, expires_at) VALUES (?, ?, ?, ?)",
      ),
      spendChallenge: db.prepare<[string, ChallengeKind, string | null, number], { challenge: string }>(
        "DELETE FROM webauthn_challenges WHERE challenge = ? AND kind = ? AND user_id IS ? AND expires_at > ? RETURNING challenge",
      ),
      deleteExpiredChallenges: db.prepare<[number]>("DELETE FROM webauthn_challenges WHERE expires_at <= ?"),
      insertPasskey: db.prepare<[string, string, string, Buffer, number, string | null, string, number, string, string]>(
        "INSERT INTO passkeys (id, user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      passkeysOfUser: db.prepare<[string], PasskeyRow>("SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, id"),
      passkeyByCredentialId: db.prepare<[string], PasskeyRow>("SELECT * FROM passkeys WHERE credential_id = ?"),
      passkeyUsed: db.prepare<[number, string, number, string, string]>(
        "UPDATE passkeys SET counter = ?, device_type = ?, backed_up = ?, last_used_at = ? WHERE id = ?",
      ),
      deletePasskey: db.prepare<[string, string]>("DELETE FROM passkeys WHERE id = ? AND user_id = ?"),
    };
  }

  /** Inserts a user; throws EmailTakenError when the (normalized) e-mail exists. */
  createUser(user: { id: string; email: string; passwordHash: string; lang?: string | undefined }): UserRow {
    const row: UserRow = {
      id: user.id,
      email: normalizeEmail(user.email),
      password_hash: user.passwordHash,
      created_at: new Date().toISOString(),
      verified: 0,
      lang: user.lang ?? null,
    };
    try {
      this.#statements.insertUser.run(row.id, row.email, row.password_hash, row.created_at, row.lang);
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") throw new EmailTakenError();
      throw error;
    }
    return row;
  }

  findUserById(id: string): UserRow | undefined {
    return this.#statements.userById.get(id);
  }

  findUserByEmail(email: string): UserRow | undefined {
    return this.#statements.userByEmail.get(normalizeEmail(email));
  }

  createRefreshToken(token: { id: string; userId: string; tokenHash: string; expiresAt: number }): void {
    this.#statements.insertToken.run(token.id, token.userId, token.tokenHash, token.expiresAt, new Date().toISOString());
  }

  findRefreshTokenById(id: string): RefreshTokenRow | undefined {
    return this.#statements.tokenById.get(id);
  }

  findRefreshTokenByHash(tokenHash: string): RefreshTokenRow | undefined {
    return this.#statements.tokenByHash.get(tokenHash);
  }

  /** Revocation deletes the row: a revoked token is indistinguishable from one that never existed. */
  deleteRefreshToken(id: string): boolean {
    return this.#statements.deleteToken.run(id).changes > 0;
  }

  setPassword(userId: string, passwordHash: string): void {
    this.#statements.setPassword.run(passwordHash, userId);
  }

  setVerified(userId: string): void {
    this.#statements.setVerified.run(userId);
  }

  /** Revokes every refresh token of a user except `keepId` (none kept when omitted). */
  deleteRefreshTokensOfUser(userId: string, keepId = ""): number {
    return this.#statements.deleteTokensOfUser.run(userId, keepId).changes;
  }

  createLinkToken(token: { tokenHash: string; kind: LinkTokenKind; userId: string; expiresAt: number }): void {
    this.#statements.insertLinkToken.run(token.tokenHash, token.kind, token.userId, token.expiresAt, new Date().toISOString());
  }

  /** The unexpired token with this hash and kind, without spending it. */
  findLinkToken(tokenHash: string, kind: LinkTokenKind, nowSeconds: number): LinkTokenRow | undefined {
    return this.#statements.linkToken.get(tokenHash, kind, nowSeconds);
  }

  /** Finds and deletes the unexpired token in one statement: only one caller ever gets a given token. */
  spendLinkToken(tokenHash: string, kind: LinkTokenKind, nowSeconds: number): LinkTokenRow | undefined {
    return this.#statements.spendLinkToken.get(tokenHash, kind, nowSeconds);
  }

  deleteExpiredLinkTokens(nowSeconds: number): number {
    return this.#statements.deleteExpiredLinkTokens.run(nowSeconds).changes;
  }

  /** Keeps a WebAuthn challenge until `expiresAt` (unix seconds); `userId` for a registration, null for a sign-in. */
  createChallenge(challenge: { value: string; kind: ChallengeKind; userId: string | null; expiresAt: number }): void {
    this.#statements.insertChallenge.run(challenge.value, challenge.kind, challenge.userId, challenge.expiresAt);
  }

  /**
   * Spends the unexpired challenge of this kind (and user, for a registration) in one statement: true for its first
   * use only. A challenge of another ceremony or another user stays unspent for its own.
   */
  spendChallenge(value: string, kind: ChallengeKind, userId: string | null, nowSeconds: number): boolean {
    return this.#statements.spendChallenge.get(value, kind, userId, nowSeconds) !== undefined;
  }

  deleteExpiredChallenges(nowSeconds: number): number {
    return this.#statements.deleteExpiredChallenges.run(nowSeconds).changes;
  }

  /** Stores a verified passkey; throws when its credential id is registered already (UNIQUE). */
  createPasskey(passkey: {
    id: string;
    userId: string;
    credentialId: string;
    publicKey: Uint8Array;
    counter: number;
    transports: string[] | undefined;
    deviceType: string;
    backedUp: boolean;
    name: string;
  }): PasskeyRow {
    const createdAt = new Date().toISOString();
    const transports = passkey.transports ? JSON.stringify(passkey.transports) : null;
    const publicKey = Buffer.from(passkey.publicKey);
    this.#statements.insertPasskey.run(
      passkey.id,
      passkey.userId,
      passkey.credentialId,
      publicKey,
      passkey.counter,
      transports,
      passkey.deviceType,
      passkey.backedUp ? 1 : 0,
      passkey.name,
      createdAt,
    );
    return {
      id: passkey.id,
      user_id: passkey.userId,
      credential_id: passkey.credentialId,
      public_key: publicKey,
      counter: passkey.counter,
      transports,
      device_type: passkey.deviceType,
      backed_up: passkey.backedUp ? 1 : 0,
      name: passkey.name,
      created_at: createdAt,
      last_used_at: null,
    };
  }

  passkeysOf(userId: string): PasskeyRow[] {
    return this.#statements.passkeysOfUser.all(userId);
  }

  findPasskeyByCredentialId(credentialId: string): PasskeyRow | undefined {
    return this.#statements.passkeyByCredentialId.get(credentialId);
  }

  /** After a verified sign-in: the new counter and backup state, and when it was used. */
  markPasskeyUsed(id: string, use: { counter: number; deviceType: string; backedUp: boolean }): void {
    this.#statements.passkeyUsed.run(use.counter, use.deviceType, use.backedUp ? 1 : 0, new Date().toISOString(), id);
  }

  /** Deletes the user's passkey `id`; false when there is none of that user's with that id. */
  deletePasskey(id: string, userId: string): boolean {
    return this.#statements.deletePasskey.run(id, userId).changes > 0;
  }

  /** Runs `work` in one transaction (all or nothing). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  deleteExpiredRefreshTokens(nowSeconds: number): number {
    return this.#statements.deleteExpired.run(nowSeconds).changes;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
