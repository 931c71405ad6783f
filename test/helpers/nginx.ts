// A real nginx (Debian's) for tests, on a free port, with a generated configuration in a temporary
// folder (pid, logs and temp paths there too: nothing outside it is touched), started in the
// foreground so that the test owns the process and stops it by pid.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port.js";

export const NGINX = "/usr/sbin/nginx";

export interface Nginx {
  url: string;
  port: number;
  pid: number;
  /** The access and error logs nginx wrote so far. */
  errorLog(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts nginx with `serverBlock` (the directives inside `server { … }`, e.g. `location` blocks) on a
 * free port of 127.0.0.1; `httpBlock` adds directives to `http { … }` (upstreams, say).
 */
export async function startNginx(serverBlock: string, httpBlock = ""): Promise<Nginx> {
  const dir = mkdtempSync(path.join(tmpdir(), "ae-nginx-"));
  const port = await freePort();
  const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${httpBlock}
  server {
    listen 127.0.0.1:${port};
    ${serverBlock}
  }
}
`;
  writeFileSync(path.join(dir, "nginx.conf"), conf);
  const child = spawn(NGINX, ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      live.delete(child);
      resolve();
    }),
  );
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nginx did not start:\n${output}\n${conf}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    errorLog: () => output,
    async stop() {
      child.kill("SIGQUIT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first ```nginx block of a Markdown text after `heading`, with 127.0.0.1:3000 pointed at `origin`. */
export function nginxSnippet(markdown: string, heading: string, origin: string): string {
  const section = markdown.slice(markdown.indexOf(heading));
  const block = /```nginx\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`no nginx block after "${heading}"`);
  return block[1]!.replaceAll("http://127.0.0.1:3000", origin);
}
