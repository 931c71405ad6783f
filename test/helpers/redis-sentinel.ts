// A local Redis Sentinel setup for failover tests: a master, two replicas and three Sentinels
// (`redis-server <conf> --sentinel`, generated configs), each on a free port in one temporary
// directory, with passwords on the data nodes and on the Sentinels (so REDIS_PASSWORD and
// REDIS_SENTINEL_PASSWORD are exercised). Processes are stopped by their pid, never by name; a data
// node can be killed to make the Sentinels fail it over. Two replicas, so that after one failover the
// new master already has an up-to-date replica for the next: Sentinel reconfigures the remaining
// replicas during a failover, but turns a demoted master into a replica only on its next INFO round,
// ten seconds later. (A single Redis: redis-server.ts.)
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { freePort } from "./free-port.js";

const REDIS_SERVER = "/usr/bin/redis-server";
export const MASTER_NAME = "sessions";
export const DATA_PASSWORD = "data-node-password";
export const SENTINEL_PASSWORD = "sentinel-password";

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

interface Node {
  port: number;
  child: ChildProcess;
}

export interface SentinelSetup {
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, as REDIS_SENTINELS takes it. */
  sentinels: string;
  /** The environment a session server needs to use this setup. */
  env: Record<string, string>;
  /** The port of the master as the Sentinels see it now. */
  masterPort(): Promise<number>;
  /** Waits until the Sentinels name a master other than `port`, and returns its port. */
  waitForNewMaster(port: number, timeoutMs?: number): Promise<number>;
  /** Waits until every replica of the master is in sync and holds every write the master acknowledged (`WAIT`). */
  replicated(): Promise<void>;
  /** `SENTINEL FAILOVER`: promote a replica now. */
  failover(): Promise<void>;
  /** SIGKILLs the data node on `port`. */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

function launch(args: string[], dir: string): ChildProcess {
  const child = spawn(REDIS_SERVER, args, { cwd: dir, stdio: "ignore" });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`redis sentinel setup: ${what} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Runs one command on a node and disconnects. */
async function command(port: number, password: string, args: string[]): Promise<unknown> {
  const client = createClient({ socket: { host: "127.0.0.1", port, connectTimeout: 500, reconnectStrategy: false }, password });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

export async function startSentinelSetup(): Promise<SentinelSetup> {
  const dir = mkdtempSync(path.join(tmpdir(), "ae-sentinel-"));
  const data: Node[] = [];
  const sentinels: Node[] = [];
  const dataArgs = (port: number): string[] => [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--dbfilename",
    `dump-${port}.rdb`,
    "--requirepass",
    DATA_PASSWORD,
    "--masterauth",
    DATA_PASSWORD,
    // A full sync starts at once (Redis waits 5 s by default, for more replicas to share it).
    "--repl-diskless-sync-delay",
    "0",
  ];
  // Six distinct ports, taken before any process binds one.
  const ports = new Set<number>();
  while (ports.size < 6) ports.add(await freePort());
  const [firstMasterPort, ...rest] = [...ports];
  const replicaPorts = rest.slice(0, 2);
  const sentinelPorts = rest.slice(2);
  try {
    data.push({ port: firstMasterPort!, child: launch(dataArgs(firstMasterPort!), dir) });
    for (const port of replicaPorts) {
      data.push({ port, child: launch([...dataArgs(port), "--replicaof", "127.0.0.1", String(firstMasterPort)], dir) });
    }
    for (const port of replicaPorts) {
      await until("the replicas in sync", 10_000, async () => {
        const info = String(await command(port, DATA_PASSWORD, ["INFO", "replication"]));
        return info.includes("master_link_status:up") || undefined;
      });
    }
    for (const port of sentinelPorts) {
      const conf = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${firstMasterPort} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 4000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          `sentinel auth-pass ${MASTER_NAME} ${DATA_PASSWORD}`,
          `requirepass ${SENTINEL_PASSWORD}`,
          `sentinel sentinel-pass ${SENTINEL_PASSWORD}`,
          "",
        ].join("\n"),
      );
      sentinels.push({ port, child: launch([conf, "--sentinel"], dir) });
    }
    // A failover by the Sentinels' own vote needs each to know the replica and the two others.
    for (const sentinel of sentinels) {
      await until("the Sentinels to find each other and the replica", 15_000, async () => {
        const others = (await command(sentinel.port, SENTINEL_PASSWORD, ["SENTINEL", "SENTINELS", MASTER_NAME])) as unknown[];
        const replicas = (await command(sentinel.port, SENTINEL_PASSWORD, ["SENTINEL", "REPLICAS", MASTER_NAME])) as unknown[];
        return (others.length === 2 && replicas.length === 2) || undefined;
      });
    }
  } catch (error) {
    for (const node of [...data, ...sentinels]) node.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const masterPort = async (): Promise<number> => {
    for (const sentinel of sentinels) {
      try {
        const [, port] = (await command(sentinel.port, SENTINEL_PASSWORD, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME])) as [
          string,
          string,
        ];
        return Number(port);
      } catch {
        // ask the next one
      }
    }
    throw new Error("no Sentinel answers");
  };
  const sentinelList = sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(",");

  return {
    sentinels: sentinelList,
    env: {
      REDIS_SENTINELS: sentinelList,
      REDIS_SENTINEL_NAME: MASTER_NAME,
      REDIS_PASSWORD: DATA_PASSWORD,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    },
    masterPort,
    waitForNewMaster: (port, timeoutMs = 20_000) =>
      until(`a master other than ${port}`, timeoutMs, async () => {
        const now = await masterPort();
        return now !== port ? now : undefined;
      }),
    async replicated() {
      const master = await masterPort();
      // Every replica the master has, online; then every write acknowledged by all of them.
      const replicas = await until("the master's replicas in sync", 15_000, async () => {
        const info = String(await command(master, DATA_PASSWORD, ["INFO", "replication"]));
        const connected = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
        const online = info.match(/^slave\d+:.*state=online/gm)?.length ?? 0;
        return connected > 0 && online === connected ? connected : undefined;
      });
      const acknowledged = Number(await command(master, DATA_PASSWORD, ["WAIT", String(replicas), "3000"]));
      if (acknowledged < replicas) throw new Error(`${acknowledged} of ${replicas} replicas acknowledged the master's writes`);
    },
    async failover() {
      await command(sentinels[0]!.port, SENTINEL_PASSWORD, ["SENTINEL", "FAILOVER", MASTER_NAME]);
    },
    async kill(port) {
      const node = data.find((candidate) => candidate.port === port);
      if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return;
      const exited = new Promise((resolve) => node.child.once("exit", resolve));
      node.child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      await Promise.all(
        [...sentinels, ...data].map(async (node) => {
          if (node.child.exitCode !== null || node.child.signalCode !== null) return;
          const exited = new Promise((resolve) => node.child.once("exit", resolve));
          node.child.kill("SIGKILL");
          await exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
