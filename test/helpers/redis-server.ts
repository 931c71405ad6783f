// A real redis-server per test file, on a free port (never 6379), with no persistence unless asked.
// stop/kill/restart let resilience tests take Redis away and bring it back on the same port.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port.js";

const REDIS_SERVER = "/usr/bin/redis-server";

export interface RedisServerOptions {
  /** `--appendonly yes --appendfsync always`: every write is on disk before its reply, so data survives kill -9 + restart. Default false. */
  appendOnly?: boolean;
}

export interface RedisServer {
  url: string;
  port: number;
  /** Pid of the current process (changes on restart). */
  readonly pid: number;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** Starts again on the same port (stopping first if still running) and waits for PING. */
  restart(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Resolves true when something on the port answers PING with +PONG. */
export function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let answer = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "ae-redis-"));
  let port = 0;
  let child: ChildProcess | undefined;

  async function launch(): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const durability = options.appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...durability, "--dir", dir];
    const proc = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    proc.stdout!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    proc.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    live.add(proc);
    proc.once("exit", () => live.delete(proc));
    child = proc;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`redis-server on port ${port} exited early:\n${output}`);
      }
      if (await pingRedis(port, 200)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    proc.kill("SIGKILL");
    throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${output}`);
  }

  // A free port can be taken between the probe and redis binding it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = waitForExit(proc);
    proc.kill(name);
    await exited;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    async stop() {
      await signal("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await signal("SIGKILL");
    },
    async restart() {
      await signal("SIGTERM");
      await launch();
    },
  };
}
