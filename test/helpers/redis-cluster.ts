// A local 3-master Redis Cluster for the hardening suite (issue 6): `redis-server --cluster-enabled yes`
// on free ports, then `redis-cli --cluster create ... --cluster-yes`, ready once every node reports
// cluster_state:ok. (A single Redis, durable or not, comes from redis-server.ts.) Every process runs
// in its own temporary directory and is stopped by its pid, never by name.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createClient } from "redis";
import { freePort } from "./free-port.js";
import { pingRedis } from "./redis-server.js";

const REDIS_SERVER = "/usr/bin/redis-server";
const REDIS_CLI = "/usr/bin/redis-cli";
const run = promisify(execFile);

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

interface RedisProcess {
  child: ChildProcess;
  output(): string;
}

/** Spawns redis-server with `args` (port and dir included) and waits until it answers PING. */
async function launchRedis(port: number, args: string[]): Promise<RedisProcess> {
  const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  live.add(child);
  child.once("exit", () => live.delete(child));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server on port ${port} exited early:\n${output}`);
    if (await pingRedis(port, 200)) return { child, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${output}`);
}

async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------

export interface RedisCluster {
  ports: number[];
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, the value of REDIS_CLUSTER_NODES. */
  nodes: string;
  /** Every key on every master (SCAN on each). */
  keys(): Promise<Array<{ port: number; key: string; pttl: number }>>;
  stop(): Promise<void>;
}

async function clusterInfo(port: number): Promise<string> {
  try {
    const { stdout } = await run(REDIS_CLI, ["-h", "127.0.0.1", "-p", String(port), "cluster", "info"], { timeout: 2_000 });
    return stdout;
  } catch {
    return "";
  }
}

/** Starts a 3-master cluster with no replicas and no persistence; resolves when all nodes say cluster_state:ok. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), "ae-redis-cluster-"));
  const nodes: Array<{ port: number; process: RedisProcess }> = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => stopProcess(node.process.child, "SIGTERM")));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      for (let attempt = 0; ; attempt++) {
        const port = await freePort();
        const args = [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          path.join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout",
          "5000",
          "--save",
          "",
          "--appendonly",
          "no",
          "--dir",
          dir,
        ];
        try {
          nodes.push({ port, process: await launchRedis(port, args) });
          break;
        } catch (error) {
          if (attempt >= 3) throw error;
        }
      }
    }
    const ports = nodes.map((node) => node.port);
    await run(REDIS_CLI, ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"], {
      timeout: 30_000,
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await Promise.all(ports.map(clusterInfo));
      if (infos.every((info) => info.includes("cluster_state:ok"))) break;
      if (Date.now() > deadline) throw new Error(`cluster not ok within 20 s:\n${infos.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      ports,
      nodes: ports.map((port) => `127.0.0.1:${port}`).join(","),
      async keys() {
        const found: Array<{ port: number; key: string; pttl: number }> = [];
        for (const port of ports) {
          const client = createClient({ url: `redis://127.0.0.1:${port}` });
          await client.connect();
          try {
            for await (const batch of client.scanIterator({ COUNT: 1000 })) {
              for (const key of batch) found.push({ port, key, pttl: await client.pTTL(key) });
            }
          } finally {
            await client.close();
          }
        }
        return found;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
