// The Redis backend: sessions through connect-redis, JWT cache, locks and counters as plain keys,
// on a single Redis (REDIS_URL), a Redis Cluster (REDIS_CLUSTER_NODES) or a master found through
// Redis Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME), always through the redis client's own support.
// Reliability: the client fails fast while Redis is down (no offline queue, a deadline on every operation,
// bounded reconnect backoff), so requests get 503 in well under a second instead of hanging, and it
// reconnects by itself when Redis is back; under Sentinel, the client follows the Sentinels' word on
// who the master is (their `+switch-master` messages, and a rescan every few seconds), so during a
// failover requests get 503 and then go to the new master without a restart. Every key has the `ae:`
// prefix and a TTL.
import { RedisStore } from "connect-redis";
import { createClient, createCluster, createSentinel } from "redis";
import type { SessionData } from "express-session";
import type { RedisNodeAddress } from "../config.js";
import type { Logger } from "../ops/logger.js";
import { SESSION_KEY_PREFIX, type SessionBackend, type TtlOf } from "./backend.js";
import type { Counter, KeyValueStore } from "./key-value.js";
import { parseSessionRecord, type StoredSession } from "./record.js";
import { closeWithin, withDeadline } from "../ops/deadline.js";
import { guardStore, storeUnavailable } from "./store-errors.js";
import { TrackedSessionReads } from "./tracked-reads.js";

export interface RedisBackendOptions {
  url?: string | undefined;
  clusterNodes?: string[];
  /** Sentinels to ask for the master named `sentinelName`. */
  sentinels?: RedisNodeAddress[];
  sentinelName?: string | undefined;
  /** Password of the Redis servers (master, replicas, cluster nodes; or the single Redis). */
  password?: string | undefined;
  /** Password of the Sentinels. */
  sentinelPassword?: string | undefined;
  /** Per-command deadline; a hung Redis answers 503 after this. */
  commandTimeoutMs?: number;
  /** How long start-up waits for the first connection. */
  startupTimeoutMs?: number;
  ttlMsOf: TtlOf;
  logger: Logger;
}

const KV_PREFIX = "ae:";

const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;

const DECREMENT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

const DELETE_IF_EQUALS_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const ADD_TO_SET_SCRIPT = `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

// Replaces a session's value only while it still holds what was read, keeping its TTL: a patch racing a logout
// (the key gone) or another write (the value changed) writes nothing.
const PATCH_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end
return 0`;

/** Reconnect quickly at first, then every second at most: recovery comes soon after Redis does. */
const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** retries, 1_000);

/** How often the Sentinel client asks the Sentinels who the master is, besides their pushed messages. */
const SENTINEL_SCAN_MS = 5_000;

type AnyRedis = ReturnType<typeof createClient> | ReturnType<typeof createCluster> | ReturnType<typeof createSentinel>;

export async function createRedisBackend(options: RedisBackendOptions): Promise<SessionBackend> {
  const commandTimeoutMs = options.commandTimeoutMs ?? 500;
  const socket = { connectTimeout: 1_000, reconnectStrategy, keepAlive: true as const };
  const password = options.password;
  const cluster = (options.clusterNodes?.length ?? 0) > 0;
  const sentinel = (options.sentinels?.length ?? 0) > 0;
  const client: AnyRedis = cluster
    ? createCluster({
        rootNodes: options.clusterNodes!.map((url) => ({ url })),
        defaults: { socket, disableOfflineQueue: true, password },
      })
    : sentinel
      ? createSentinel({
          name: options.sentinelName!,
          sentinelRootNodes: options.sentinels!,
          nodeClientOptions: { socket, disableOfflineQueue: true, password },
          sentinelClientOptions: { socket, password: options.sentinelPassword },
          scanInterval: SENTINEL_SCAN_MS,
          // The master's and the Sentinels' connection errors come to the one handler below.
          passthroughClientErrorEvents: true,
        })
      : createClient({
          url: options.url,
          socket,
          disableOfflineQueue: true,
          password,
        });
  const where = options.url ?? (cluster ? options.clusterNodes!.join(",") : options.sentinels!.map((n) => `${n.host}:${n.port}`).join(","));

  let lastError = "";
  client.on("error", (error: Error) => {
    // The client emits an error for every failed reconnect; log each distinct one once.
    if (error.message !== lastError) options.logger.warn({ event: "redis_error", message: error.message }, "redis error");
    lastError = error.message;
  });
  client.on("ready", () => {
    if (lastError) options.logger.info({ event: "redis_ready" }, "redis connection ready");
    lastError = "";
  });
  if (sentinel) {
    client.on("topology-change", (change: { type: string; node?: RedisNodeAddress }) => {
      if (change.type !== "MASTER_CHANGE") return;
      lastError = "";
      options.logger.info(
        { event: "redis_master_change", master: `${change.node?.host}:${change.node?.port}` },
        "redis sentinel: following the new master",
      );
    });
  }

  // At start-up, a Redis that cannot be reached is a clear error rather than a process that never
  // listens (the client would otherwise retry for ever). Later outages are ridden out: 503 meanwhile.
  try {
    await withDeadline<unknown>(client.connect() as Promise<unknown>, options.startupTimeoutMs ?? 10_000);
  } catch (error) {
    void Promise.resolve(client.destroy()).catch(() => undefined);
    throw new Error(`cannot connect to Redis at ${where}: ${(error as Error).message}`, { cause: error });
  }

  // The client's command methods are typed per variant; the handful used here behave the same.
  const redis = client as unknown as ReturnType<typeof createClient>;
  // The client's own command timeout only covers the wait to be written (and costs an AbortSignal per
  // command); a command already sent to a Redis that stopped answering (frozen, overloaded, network
  // loss without a reset) would wait for ever. So every operation has one deadline of our own, and a
  // late reply is simply ignored.
  const guard = <T>(operation: () => Promise<T>): Promise<T> => guardStore(() => withDeadline(operation(), commandTimeoutMs));

  // Single Redis: hot reads go through a tracked per-process cache (tracked-session-reads.ts). A Redis
  // that refuses RESP3 tracking (older than 6, or a proxy in front) keeps plain reads. Redis Cluster
  // reads straight through: tracking would need a connection per master. So does Sentinel: the copies
  // are only as coherent as one master's invalidations, and after a failover the old master (now a
  // replica) could still answer from before the switch; a read per request always asks the master.
  let tracked: TrackedSessionReads | undefined;
  if (!cluster && !sentinel) {
    try {
      tracked = await TrackedSessionReads.connect(
        { url: options.url!, password, socket, commandTimeoutMs, logger: options.logger },
        options.startupTimeoutMs ?? 10_000,
      );
    } catch (error) {
      options.logger.warn(
        { event: "redis_tracking_unavailable", message: (error as Error).message },
        "redis client-side caching unavailable: reading every session from Redis",
      );
    }
  }

  const store = new GuardedRedisStore(
    {
      client: redis,
      prefix: SESSION_KEY_PREFIX,
      ttl: (session: SessionData) => Math.ceil(options.ttlMsOf(session) / 1000),
      disableTouch: true, // the idle window slides in the session reader, at most once per interval
    },
    commandTimeoutMs,
  );

  const kv: KeyValueStore = {
    get: (key) => guard(() => redis.get(KV_PREFIX + key)),
    set: (key, value, ttlMs) =>
      guard(async () => {
        await redis.set(KV_PREFIX + key, value, { expiration: { type: "PX", value: Math.max(1, Math.ceil(ttlMs)) } });
      }),
    setIfAbsent: (key, value, ttlMs) =>
      guard(
        async () =>
          (await redis.set(KV_PREFIX + key, value, {
            condition: "NX",
            expiration: { type: "PX", value: Math.max(1, Math.ceil(ttlMs)) },
          })) === "OK",
      ),
    deleteIfEquals: (key, value) =>
      guard(async () => {
        await redis.eval(DELETE_IF_EQUALS_SCRIPT, { keys: [KV_PREFIX + key], arguments: [value] });
      }),
    delete: (key) =>
      guard(async () => {
        await redis.del(KV_PREFIX + key);
      }),
    increment: (key, windowMs) =>
      guard(async () => {
        const [count, ttlMs] = (await redis.eval(INCREMENT_SCRIPT, { keys: [KV_PREFIX + key], arguments: [String(windowMs)] })) as [
          number,
          number,
        ];
        return { count, ttlMs: ttlMs > 0 ? ttlMs : windowMs } satisfies Counter;
      }),
    decrement: (key) =>
      guard(async () => {
        await redis.eval(DECREMENT_SCRIPT, { keys: [KV_PREFIX + key], arguments: [] });
      }),
    addToSet: (key, member, ttlMs) =>
      guard(async () => {
        await redis.eval(ADD_TO_SET_SCRIPT, { keys: [KV_PREFIX + key], arguments: [member, String(Math.ceil(ttlMs))] });
      }),
    removeFromSet: (key, member) =>
      guard(async () => {
        await redis.sRem(KV_PREFIX + key, member);
      }),
    members: (key) => guard(() => redis.sMembers(KV_PREFIX + key)),
  };

  return {
    kind: cluster ? "redis-cluster" : sentinel ? "redis-sentinel" : "redis",
    store,
    kv,
    async read(sid): Promise<StoredSession | null> {
      const key = SESSION_KEY_PREFIX + sid;
      if (tracked) return guardStore(() => tracked.read(key));
      // Issued in the same tick, the two commands travel in one pipeline: one round trip.
      const [raw, ttlMs] = await guard(() => Promise.all([redis.get(key), redis.pTTL(key)]));
      if (raw === null || ttlMs === -2) return null;
      return { record: parseSessionRecord(raw), ttlMs: ttlMs < 0 ? 0 : ttlMs };
    },
    extend: (sid, ttlMs) =>
      guard(async () => {
        await redis.pExpire(SESSION_KEY_PREFIX + sid, Math.max(1, Math.ceil(ttlMs)));
      }),
    destroy: (sid) =>
      guard(async () => {
        await redis.del(SESSION_KEY_PREFIX + sid);
      }),
    patch: (sid, change) =>
      guard(async () => {
        const key = SESSION_KEY_PREFIX + sid;
        for (let attempt = 0; attempt < 3; attempt++) {
          const raw = await redis.get(key);
          if (raw === null) return false;
          const data = JSON.parse(raw) as Record<string, unknown>;
          if (!change(data)) return false;
          const written = await redis.eval(PATCH_SCRIPT, { keys: [key], arguments: [raw, JSON.stringify(data)] });
          if (written === 1) return true;
        }
        return false;
      }),
    ping: () =>
      guard(async () => {
        if (cluster) {
          const clusterClient = client as ReturnType<typeof createCluster>;
          await Promise.all(clusterClient.masters.map(async (master) => (await clusterClient.nodeClient(master)).ping()));
        } else {
          await Promise.all([redis.ping(), tracked?.ping()]);
        }
      }),
    async close(deadlineMs = 1_000) {
      // close() waits for replies to the commands in flight, which never come from a Redis that died
      // or froze mid-command: past the deadline the connections are destroyed instead.
      await Promise.all([
        tracked?.close(deadlineMs),
        closeWithin(
          () => client.close(),
          () => void Promise.resolve(client.destroy()).catch(() => undefined),
          deadlineMs,
        ),
      ]);
    },
  };
}

type Callback<T = unknown> = (error: unknown, value?: T) => void;

/** connect-redis, with every failure, and a Redis that does not answer in time, reported as 503. */
class GuardedRedisStore extends RedisStore {
  constructor(
    options: ConstructorParameters<typeof RedisStore>[0],
    private readonly timeoutMs: number,
  ) {
    super(options);
  }

  private settle<T>(operation: Promise<T>, callback: Callback<T> | undefined): Promise<void> {
    return withDeadline(operation, this.timeoutMs).then(
      (value) => callback?.(null, value),
      (error: unknown) => callback?.(storeUnavailable(error)),
    );
  }

  override get(sid: string, callback: Callback<SessionData | null>) {
    return this.settle(super.get(sid) as Promise<SessionData | null>, callback);
  }
  override set(sid: string, session: SessionData, callback?: Callback) {
    return this.settle(super.set(sid, session), callback);
  }
  override destroy(sid: string, callback?: Callback) {
    return this.settle(super.destroy(sid), callback);
  }
}
