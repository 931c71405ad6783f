// The embedded session store: express-session's Store over a SQLite file under DATA_DIR, so the
// demo and single-machine installs keep sessions across restarts without Redis. Rows expire by an
// `expires_at` column checked on read and swept periodically.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import session from "express-session";
import type { SessionData } from "express-session";
import type { SessionChange, TtlOf } from "./backend.js";
import { parseSessionRecord, type StoredSession } from "./record.js";

type Callback<T = unknown> = (error?: unknown, value?: T) => void;

export class SqliteSessionStore extends session.Store {
  private readonly db: Database.Database;
  private readonly sweeper: NodeJS.Timeout;
  private readonly statements;

  constructor(
    file: string,
    private readonly ttlMsOf: TtlOf,
  ) {
    super();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec("CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL)");
    this.db.exec("CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at)");
    this.statements = {
      get: this.db.prepare<[string, number], { data: string; expires_at: number }>(
        "SELECT data, expires_at FROM sessions WHERE sid = ? AND expires_at > ?",
      ),
      upsert: this.db.prepare<[string, string, number]>(
        "INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
      ),
      extend: this.db.prepare<[number, string, number]>("UPDATE sessions SET expires_at = ? WHERE sid = ? AND expires_at > ?"),
      destroy: this.db.prepare<[string]>("DELETE FROM sessions WHERE sid = ?"),
      replaceData: this.db.prepare<[string, string, number]>("UPDATE sessions SET data = ? WHERE sid = ? AND expires_at > ?"),
      count: this.db.prepare<[number], { n: number }>("SELECT COUNT(*) AS n FROM sessions WHERE expires_at > ?"),
      clear: this.db.prepare("DELETE FROM sessions"),
      sweep: this.db.prepare<[number]>("DELETE FROM sessions WHERE expires_at <= ?"),
    };
    this.sweeper = setInterval(() => this.statements.sweep.run(Date.now()), 10 * 60_000);
    this.sweeper.unref();
    this.statements.sweep.run(Date.now());
  }

  read(sid: string): StoredSession | null {
    const now = Date.now();
    const row = this.statements.get.get(sid, now);
    if (!row) return null;
    return { record: parseSessionRecord(row.data), ttlMs: row.expires_at - now };
  }

  extend(sid: string, ttlMs: number): void {
    const now = Date.now();
    this.statements.extend.run(now + ttlMs, sid, now);
  }

  /** Edits a live session's JSON in one transaction (SQLite serialises writers: no lost update, no revival). */
  patch(sid: string, change: SessionChange): boolean {
    return this.db.transaction(() => {
      const now = Date.now();
      const row = this.statements.get.get(sid, now);
      if (!row) return false;
      const data = JSON.parse(row.data) as Record<string, unknown>;
      if (!change(data)) return false;
      return this.statements.replaceData.run(JSON.stringify(data), sid, now).changes > 0;
    })();
  }

  ping(): void {
    this.db.prepare("SELECT 1").get();
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    this.settle(callback, () => {
      const row = this.statements.get.get(sid, Date.now());
      return row ? (JSON.parse(row.data) as SessionData) : null;
    });
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    this.settle(callback, () => {
      const ttlMs = this.ttlMsOf(data);
      if (ttlMs <= 0) this.statements.destroy.run(sid);
      else this.statements.upsert.run(sid, JSON.stringify(data), Date.now() + ttlMs);
    });
  }

  override touch(sid: string, data: SessionData, callback?: Callback): void {
    this.settle(callback, () => this.extend(sid, this.ttlMsOf(data)));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.settle(callback, () => this.statements.destroy.run(sid));
  }

  override length(callback: Callback<number>): void {
    this.settle(callback, () => this.statements.count.get(Date.now())?.n ?? 0);
  }

  override clear(callback?: Callback): void {
    this.settle(callback, () => this.statements.clear.run());
  }

  close(): void {
    clearInterval(this.sweeper);
    this.db.close();
  }

  private settle<T>(callback: Callback<T> | undefined, work: () => T): void {
    let value: T;
    try {
      value = work();
    } catch (error) {
      callback?.(error);
      return;
    }
    callback?.(null, value);
  }
}
