// A real nginx (Debian's /usr/sbin/nginx) per test file, never the system one: a generated config in
// a temporary prefix directory (pid, logs and temp paths there too; test/nginx.mjs writes it), one
// process (`master_process off`, `daemon off`) on a free loopback port, stopped by its pid.
// `forwardAuthConfig` is the documented forward-auth setup (README): `auth_request` to the session
// server's /auth/verify, `auth_request_set` and `proxy_set_header Authorization` in front of an
// upstream; `nginxSnippet` takes a configuration block out of the README, so a test runs exactly
// what the README shows.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { forwardAuthHttp, NGINX_PATH, writeNginxConf } from "../nginx.mjs";
import { freePort } from "./free-port.js";

export interface Nginx {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  pid: number;
  /** nginx's error log so far. */
  errorLog(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** The `http { … }` body of a forward-auth setup: `/` is protected, `/_verify` asks the session server. */
export function forwardAuthConfig(options: { port: number; verifyOrigin: string; upstreamOrigin: string; authPrefix?: string }): string {
  return forwardAuthHttp({
    port: options.port,
    verifyHost: new URL(options.verifyOrigin).host,
    upstreamHost: new URL(options.upstreamOrigin).host,
    authPrefix: options.authPrefix,
  });
}

/** An `http { … }` body of one server on `port` holding `directives` (location blocks, say). */
export function serverConfig(port: number, directives: string): string {
  return `server {\n  listen 127.0.0.1:${port};\n  ${directives}\n}`;
}

/** The first ```nginx block of a Markdown text after `heading`, with 127.0.0.1:3000 pointed at `origin`. */
export function nginxSnippet(markdown: string, heading: string, origin: string): string {
  const section = markdown.slice(markdown.indexOf(heading));
  const block = /```nginx\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`no nginx block after "${heading}"`);
  return block[1]!.replaceAll("http://127.0.0.1:3000", origin);
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts nginx on a free port with `http(port)` as the body of its http block (see forwardAuthConfig, serverConfig). */
export async function startNginx(http: (port: number) => string): Promise<Nginx> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "ae-nginx-"));
  const errorLog = path.join(dir, "error.log");
  writeFileSync(errorLog, "");
  const conf = writeNginxConf(dir, { http: http(port), errorLog });
  const child = spawn(NGINX_PATH, ["-p", dir, "-c", conf, "-e", errorLog], { stdio: ["ignore", "ignore", "pipe"] });
  live.add(child);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      live.delete(child);
      resolve();
    }),
  );
  const readLog = (): string => {
    try {
      return readFileSync(errorLog, "utf8");
    } catch {
      return "";
    }
  };
  const deadline = Date.now() + 10_000;
  while (!(await portAnswers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nginx did not start on port ${port}:\n${stderr}\n${readLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    errorLog: readLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
