// Child processes for the benchmarks (bench/run.mjs, bench/load.mjs): free loopback ports,
// starting a process and waiting for its ready line, temporary folders, and stopping everything
// that was started (by pid, also on Ctrl-C or an early exit).
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const children = new Set();
const tempDirs = [];
let stopping;

export function stopAll() {
  stopping ??= (async () => {
    await Promise.all(
      [...children].map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  })();
  return stopping;
}
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    void stopAll().then(() => process.exit(130));
  });
}

export function tempDir(tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ae-bench-${tag}-`));
  tempDirs.push(dir);
  return dir;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port === 6379 ? freePort() : port));
    });
  });
}

/** Starts a process and resolves with the first match of `ready` in its output. */
export function start(label, command, args, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let output = "";
    const timer = setTimeout(() => reject(new Error(`${label} did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk) => {
      output = (output + chunk).slice(-8000);
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => {
      output = (output + chunk).slice(-8000);
      if (process.env.LOAD_VERBOSE) process.stderr.write(`[${label}] ${chunk}`);
    });
    child.once("exit", (code, signal) => {
      children.delete(child);
      clearTimeout(timer);
      if (!stopping) reject(new Error(`${label} exited (${code ?? signal}):\n${output}`));
    });
  });
}
