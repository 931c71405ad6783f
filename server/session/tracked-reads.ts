// Hot-path session reads from Redis, kept in this process and kept coherent by Redis itself
// (client-side caching: RESP3 `CLIENT TRACKING`), so a busy session costs no GET per request.
//
// Threat model: a cached copy must never outlive the stored session. A logout, a revocation, an
// expiry or a changed session on any instance must be seen by the very next request here, exactly as
// if it had read Redis; and a Redis that is down or frozen must still give 503, never a cached answer.
//
// How:
// - One dedicated RESP3 connection does every hot read (GET + PTTL). Redis remembers the keys it read
//   and pushes an invalidation on that connection when one changes (write, delete, TTL change,
//   expiry); the copy is dropped then. A read whose key was invalidated while it was in flight is
//   answered but not kept.
// - A cached copy is only used after a barrier: a PING sent after the request arrived. Redis answers
//   on one connection in order, so every invalidation for a write it finished before that PING is in
//   before the PONG: a write acknowledged anywhere before this request arrived is always seen. Reads
//   that arrive while a PING is in flight share the next one. A PING that does not come back in time
//   (frozen Redis) fails those reads with 503, like a GET would.
// - The copy's end is the stored TTL read with it (counted from before the read was sent, so never
//   late); past it the copy is not used.
// - A lost connection drops every copy; reads fail fast (503) until Redis is back and tracking is on
//   again, which the client's reconnect handshake does before it reports ready.
import { createClient, type RedisClientOptions } from "redis";
import type { Logger } from "../ops/logger.js";
import { parseSessionRecord, type SessionRecord, type StoredSession } from "./record.js";
import { closeWithin, withDeadline } from "../ops/deadline.js";

/** Copies kept at most; the oldest goes first. Redis keeps tracking it, which costs one late push. */
const MAX_ENTRIES = 100_000;

interface CachedSession {
  record: SessionRecord | null;
  /** Epoch ms when the store drops it, unless renewed (a renewal invalidates this copy). */
  expiresAt: number;
}

export interface TrackedSessionReadsOptions {
  url: string;
  password?: string | undefined;
  socket: RedisClientOptions["socket"];
  commandTimeoutMs: number;
  logger: Logger;
}

const trackingClient = (options: TrackedSessionReadsOptions) =>
  createClient({
    url: options.url,
    password: options.password,
    socket: options.socket,
    RESP: 3,
    emitInvalidate: true,
    disableOfflineQueue: true,
  });

export class TrackedSessionReads {
  private readonly entries = new Map<string, CachedSession>();
  /** Keys with reads in flight, and whether one was invalidated meanwhile. */
  private readonly inFlight = new Map<string, { reads: number; invalidated: boolean }>();
  /** Reads waiting for the next barrier PING, and whether one is in flight. */
  private barrierWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private pinging = false;
  private live = false;

  private constructor(
    private readonly client: ReturnType<typeof trackingClient>,
    private readonly commandTimeoutMs: number,
  ) {}

  /** Connects the tracking connection; rejects when Redis cannot be reached or refuses RESP3 tracking. */
  static async connect(options: TrackedSessionReadsOptions, startupTimeoutMs: number): Promise<TrackedSessionReads> {
    const client = trackingClient(options);
    const reads = new TrackedSessionReads(client, options.commandTimeoutMs);
    client.on("invalidate", (key: string | Buffer | null) => reads.invalidate(key === null ? null : String(key)));
    for (const event of ["error", "end", "reconnecting", "connect"] as const) client.on(event, () => reads.dropAll());
    client.on("ready", () => {
      reads.live = true;
    });
    client.on("error", (error: Error) =>
      options.logger.debug({ event: "redis_tracking_error", message: error.message }, "tracking connection error"),
    );
    try {
      await withDeadline(client.connect(), startupTimeoutMs);
    } catch (error) {
      client.destroy();
      throw error;
    }
    reads.live = true;
    return reads;
  }

  /** The session under `key` and its remaining TTL, as Redis holds it now; null when there is none. */
  async read(key: string): Promise<StoredSession | null> {
    if (this.live && this.entries.has(key)) {
      await this.barrier();
      const entry = this.entries.get(key);
      const now = Date.now();
      if (entry && entry.expiresAt > now) return { record: entry.record, ttlMs: entry.expiresAt - now };
    }
    return this.fetch(key);
  }

  /** Resolves when the tracking connection answers (readiness). */
  async ping(): Promise<void> {
    await withDeadline(this.client.ping(), this.commandTimeoutMs);
  }

  /** Copies held now (for tests and benchmarks). */
  get size(): number {
    return this.entries.size;
  }

  async close(deadlineMs: number): Promise<void> {
    this.dropAll();
    await closeWithin(
      () => this.client.close(),
      () => this.client.destroy(),
      deadlineMs,
    );
  }

  private async fetch(key: string): Promise<StoredSession | null> {
    const sentAt = Date.now();
    const flight = this.inFlight.get(key) ?? { reads: 0, invalidated: false };
    flight.reads++;
    this.inFlight.set(key, flight);
    let raw: string | null;
    let ttlMs: number;
    try {
      // Issued in the same tick, the two commands travel in one pipeline: one round trip.
      [raw, ttlMs] = await withDeadline(Promise.all([this.client.get(key), this.client.pTTL(key)]), this.commandTimeoutMs);
    } finally {
      if (--flight.reads === 0) this.inFlight.delete(key);
    }
    if (raw === null || ttlMs === -2) return null;
    const record = parseSessionRecord(raw);
    if (ttlMs > 0 && this.live && !flight.invalidated) this.remember(key, { record, expiresAt: sentAt + ttlMs });
    return { record, ttlMs: ttlMs < 0 ? 0 : ttlMs };
  }

  private remember(key: string, entry: CachedSession): void {
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(key)) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, entry);
  }

  /**
   * Resolves once Redis has answered a PING sent after this call. At most one PING is in flight:
   * reads that arrive meanwhile share the next one, sent as soon as it returns (group commit), so a
   * busy process sends one PING per round trip, not one per request, and an idle one waits one trip.
   */
  private barrier(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.barrierWaiters.push({ resolve, reject });
      if (!this.pinging) this.sendBarrierPing();
    });
  }

  private sendBarrierPing(): void {
    const batch = this.barrierWaiters;
    this.barrierWaiters = [];
    this.pinging = true;
    withDeadline(this.client.ping(), this.commandTimeoutMs).then(
      () => {
        this.pinging = false;
        for (const waiter of batch) waiter.resolve();
        if (this.barrierWaiters.length > 0) this.sendBarrierPing();
      },
      (error: unknown) => {
        // Redis did not answer: the reads queued behind this PING would wait as long again for the
        // same answer, so they fail now too (503 well under a second, not two deadlines).
        this.pinging = false;
        const failed = [...batch, ...this.barrierWaiters];
        this.barrierWaiters = [];
        for (const waiter of failed) waiter.reject(error);
      },
    );
  }

  private invalidate(key: string | null): void {
    if (key === null) {
      // FLUSHDB / FLUSHALL: every copy goes, but the connection (and tracking) is still fine.
      this.forgetAll();
      return;
    }
    this.entries.delete(key);
    const flight = this.inFlight.get(key);
    if (flight) flight.invalidated = true;
  }

  /** The connection is gone or not ready: no copy is used or kept until it is ready again. */
  private dropAll(): void {
    this.live = false;
    this.forgetAll();
  }

  private forgetAll(): void {
    this.entries.clear();
    for (const flight of this.inFlight.values()) flight.invalidated = true;
  }
}
