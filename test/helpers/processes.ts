// Child processes for tests that need a real process boundary (a session server to send SIGTERM
// to, an auth service or an upstream to kill or freeze): start one and wait for its ready line,
// send it signals, wait for its exit, and stop every one still running when the test file ends.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface TestProcess {
  child: ChildProcess;
  pid: number;
  /** The first match of the ready pattern. */
  match: RegExpExecArray;
  /** Everything the process printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) and the epoch ms at which it came. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  signal(name: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** The newest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

let serverSourcesMtime: number | undefined;

/** Whether `built` (a file under dist/server) is newer than every source under server/. */
export function builtFromCurrentSources(built: string): boolean {
  serverSourcesMtime ??= newestMtime(path.join(ROOT, "server"));
  return fs.existsSync(built) && fs.statSync(built).mtimeMs > serverSourcesMtime;
}

/**
 * Node arguments that run a TypeScript entry point of server/ (`server/main.ts`): its build under
 * dist/server when that is newer than every source (`npm test` builds first; starting a build is a
 * third of starting through tsx), else the sources through tsx. Either way the current code runs.
 */
export function entryArgs(entry: string): string[] {
  const built = path.join(ROOT, "dist/server", entry.replace(/\.ts$/, ".js"));
  return builtFromCurrentSources(built) ? [built] : ["--import", "tsx", entry];
}

export function startProcess(
  label: string,
  args: string[],
  env: Record<string, string | undefined>,
  ready: RegExp,
  timeoutMs = 30_000,
  cwd = ROOT,
): Promise<TestProcess> {
  const clean = Object.fromEntries(
    Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, ...env }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  const child = spawn(process.execPath, args, { cwd, env: clean, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal, at: Date.now() });
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label} did not print its ready line within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.on("data", (more: Buffer) => (output += more.toString()));
        resolve({
          child,
          pid: child.pid!,
          match,
          output: () => output,
          exited,
          signal: (name) => {
            if (child.exitCode === null && child.signalCode === null) child.kill(name);
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/** SIGKILLs every process still running (and SIGCONTs frozen ones first, so they can die). */
export function killAll(): void {
  for (const child of live) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
}
