// Small shared state beside the sessions: JWT cache entries, single-flight locks and rate-limit
// counters. Redis holds it when there is a REDIS_URL (so every instance sees the same); in embedded
// mode there is one process, and it lives in memory. Every key carries a TTL.

export interface Counter {
  count: number;
  /** Milliseconds until the counter resets. */
  ttlMs: number;
}

export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only when the key is absent; true when this call set it (a lock with a lease). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes the key only while it still holds `value` (releasing a lock we own). */
  deleteIfEquals(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Adds one; the first increment starts a window of `windowMs`. */
  increment(key: string, windowMs: number): Promise<Counter>;
  decrement(key: string): Promise<void>;
  /** A set of members under one key, for the per-user index of sessions. */
  addToSet(key: string, member: string, ttlMs: number): Promise<void>;
  removeFromSet(key: string, member: string): Promise<void>;
  members(key: string): Promise<string[]>;
}

interface Entry {
  value: string | Set<string>;
  expiresAt: number;
}

/** The embedded, single-process store. Expired entries are dropped on read and by a sweep. */
export class MemoryKeyValue implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 60_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async get(key: string): Promise<string | null> {
    const value = this.live(key)?.value;
    return typeof value === "string" ? value : null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    return true;
  }

  async deleteIfEquals(key: string, value: string): Promise<void> {
    if (this.live(key)?.value === value) this.entries.delete(key);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async increment(key: string, windowMs: number): Promise<Counter> {
    const now = Date.now();
    const entry = this.live(key);
    if (!entry) {
      this.entries.set(key, { value: "1", expiresAt: now + windowMs });
      return { count: 1, ttlMs: windowMs };
    }
    const count = Number(entry.value) + 1;
    entry.value = String(count);
    return { count, ttlMs: entry.expiresAt - now };
  }

  async decrement(key: string): Promise<void> {
    const entry = this.live(key);
    if (entry && typeof entry.value === "string") entry.value = String(Math.max(0, Number(entry.value) - 1));
  }

  async addToSet(key: string, member: string, ttlMs: number): Promise<void> {
    const entry = this.live(key);
    const expiresAt = Math.max(entry?.expiresAt ?? 0, Date.now() + ttlMs);
    const set = entry?.value instanceof Set ? entry.value : new Set<string>();
    set.add(member);
    this.entries.set(key, { value: set, expiresAt });
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    const value = this.live(key)?.value;
    if (value instanceof Set) value.delete(member);
  }

  async members(key: string): Promise<string[]> {
    const value = this.live(key)?.value;
    return value instanceof Set ? [...value] : [];
  }

  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
