// Durable storage of users and refresh-token hashes in one SQLite file (<dataDir>/auth-service.sqlite, WAL mode).
// It never sees a plain password or a plain refresh token: callers hand it hashes.
import path from "node:path";
import Database from "better-sqlite3";

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: string;
}

export interface RefreshTokenRow {
  id: string;
  user_id: string;
  token_hash: string;
  /** Unix seconds. */
  expires_at: number;
  created_at: string;
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
`;

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
    const db = this.#db;
    this.#statements = {
      insertUser: db.prepare<[string, string, string, string]>(
        "INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)",
      ),
      userById: db.prepare<[string], UserRow>("SELECT * FROM users WHERE id = ?"),
      userByEmail: db.prepare<[string], UserRow>("SELECT * FROM users WHERE email = ?"),
      insertToken: db.prepare<[string, string, string, number, string]>(
        "INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
      ),
      tokenById: db.prepare<[string], RefreshTokenRow>("SELECT * FROM refresh_tokens WHERE id = ?"),
      tokenByHash: db.prepare<[string], RefreshTokenRow>("SELECT * FROM refresh_tokens WHERE token_hash = ?"),
      deleteToken: db.prepare<[string]>("DELETE FROM refresh_tokens WHERE id = ?"),
      deleteExpired: db.prepare<[number]>("DELETE FROM refresh_tokens WHERE expires_at <= ?"),
    };
  }

  /** Inserts a user; throws EmailTakenError when the (normalized) e-mail exists. */
  createUser(user: { id: string; email: string; passwordHash: string }): UserRow {
    const row: UserRow = {
      id: user.id,
      email: normalizeEmail(user.email),
      password_hash: user.passwordHash,
      created_at: new Date().toISOString(),
    };
    try {
      this.#statements.insertUser.run(row.id, row.email, row.password_hash, row.created_at);
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

  deleteExpiredRefreshTokens(nowSeconds: number): number {
    return this.#statements.deleteExpired.run(nowSeconds).changes;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
