// Child processes for the benchmarks (bench/run.mjs, bench/load.mjs): free loopback ports,
// starting a process and waiting for its ready line (or, for one that prints none, such as nginx,
// for a probe to pass), temporary folders, and stopping everything that was started (by pid, also
// on Ctrl-C or an early exit).
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
            const timer = setTimeout(() => kill(child, "SIGKILL"), 3_000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            kill(child, "SIGTERM");
          }),
      ),
    );
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  })();
  return stopping;
}
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) kill(child, "SIGKILL");
});

// A child started with `group` leads its own process group (nginx's master and its worker): the
// signal goes to the group by the child's pid, so a SIGKILLed master cannot leave a worker behind.
function kill(child, signal) {
  try {
    if (child.group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}
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

/**
 * Starts a process and resolves with the first match of `ready` in its output; for a process that
 * prints no ready line (nginx logs to files), `ready` is a probe instead, tried every 50 ms until it
 * resolves truthy (then `match` is its value). `group` makes the process lead its own process group.
 */
export function start(label, command, args, env, ready, { group = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: group });
    child.group = group;
    children.add(child);
    let output = "";
    let over = false;
    const timer = setTimeout(() => {
      over = true;
      reject(new Error(`${label} did not start within 20 s:\n${output}`));
    }, 20_000);
    const onReady = (match) => {
      over = true;
      clearTimeout(timer);
      resolve({ child, match, output: () => output });
    };
    const onData = (chunk) => {
      output = (output + chunk).slice(-8000);
      const match = ready instanceof RegExp && ready.exec(output);
      if (match) onReady(match);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => {
      output = (output + chunk).slice(-8000);
      if (process.env.LOAD_VERBOSE) process.stderr.write(`[${label}] ${chunk}`);
    });
    child.once("exit", (code, signal) => {
      over = true;
      children.delete(child);
      clearTimeout(timer);
      if (!stopping) reject(new Error(`${label} exited (${code ?? signal}):\n${output}`));
    });
    if (!(ready instanceof RegExp)) void poll(ready, () => over, onReady);
  });
}

async function poll(probe, over, onReady) {
  while (!over()) {
    const match = await probe().catch(() => undefined);
    if (match && !over()) return onReady(match);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The environment a benchmark's session server runs with: the in-process reference auth service,
 * warnings only, its own data folder, and `extra` on top (REDIS_URL, UPSTREAMS, ports…).
 */
export function sessionServerEnv(extra) {
  return {
    PORT: "0",
    DATA_DIR: tempDir("data"),
    LOG_LEVEL: "warn",
    SESSION_SECRET: "bench-secret-0123456789abcdefghijklmnop",
    AUTH_SERVICE: "",
    ...extra,
  };
}

/** Signs a fresh user up at the session server `url`; resolves with the Cookie header that carries the session. */
export async function signUpCookie(url, tag = "bench") {
  const signup = await fetch(`${url}/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf": "1" },
    body: JSON.stringify({
      email: `${tag}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`,
      password: "bench password 123",
    }),
  });
  if (signup.status !== 201) throw new Error(`signup at ${url} failed: ${signup.status} ${await signup.text()}`);
  return cookieFrom(signup);
}

/** The Cookie header that sends back what a response's Set-Cookie lines set. */
export function cookieFrom(response) {
  return (response.headers.getSetCookie?.() ?? []).map((line) => line.split(";")[0]).join("; ");
}
