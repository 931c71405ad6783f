// Runs the demo exactly as `npm start` does (dist/server/demo/start-demo.js: the front server with
// the strict CSP, the session server, the reference auth service and the notes upstream) as a
// child process on a free port with a throwaway DATA_DIR. Builds what is missing first, so the
// e2e tests also run on their own; `npm test` has built everything already.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const BUILDS: [output: string, script: string][] = [
  ["dist/server/demo/start-demo.js", "build:server"],
  ["dist/auth-elements.js", "build:elements"],
  ["demo/dist/index.html", "build:demo"],
];

/** Builds each missing output; never rebuilds one that exists (tests must not race a build). */
export function buildIfMissing(): void {
  for (const [output, script] of BUILDS) {
    if (!fs.existsSync(path.join(root, output)))
      execFileSync("npm", ["run", "--silent", script], { cwd: root, stdio: "inherit", timeout: 300_000 });
  }
}

export interface RunningDemo {
  /** The front server's origin with a trailing slash, e.g. http://localhost:41234/ (the demo shows 127.0.0.1 as localhost) */
  url: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export async function startDemo(): Promise<RunningDemo> {
  buildIfMissing();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-e2e-"));
  const child: ChildProcess = spawn(process.execPath, [path.join(root, "dist/server/demo/start-demo.js")], {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "warn", NODE_ENV: "development" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start within 60 s:\n${output}`)), 60_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+\/)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
