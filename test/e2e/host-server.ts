// A small host site for the e2e tests that need pages of their own (languages, server rendering):
// it serves the pages a test gives, by path, under the demo's strict CSP, the built bundle from
// dist/ (the entry, its chunks, its locales), and reverse-proxies /auth and /api to a session
// server when given one, as a same-origin deployment does. It records every request it answers,
// so a test can count the ones a page load made.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { root } from "./demo-process.js";

export const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'";

/** A page's body (text/html unless the path ends in .js or .css), or a function of the request that renders it. */
export type HostPage = string | ((request: http.IncomingMessage) => string | Promise<string>);

export interface HostServer {
  /** The origin with a trailing slash, on localhost. */
  url: string;
  /** "GET /path" of every request answered so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

function proxy(target: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => res.writeHead(502).end());
  req.pipe(upstream);
}

export async function startHostServer(pages: Record<string, HostPage>, sessionServer?: string): Promise<HostServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    requests.push(`${req.method} ${pathname}`);
    if (sessionServer && /^\/(auth|api)\//.test(pathname)) return proxy(new URL(sessionServer), req, res);
    const headers = { "content-security-policy": STRICT_CSP, "cache-control": "no-cache" };
    if (/^\/dist\/(?:(?:chunks|locales)\/)?[\w.-]+\.js$/.test(pathname)) {
      const file = path.join(root, pathname);
      if (fs.existsSync(file)) return void res.writeHead(200, { "content-type": TYPES[".js"], ...headers }).end(fs.readFileSync(file));
    }
    const page = pages[pathname];
    if (page === undefined) return void res.writeHead(404, headers).end();
    Promise.resolve(typeof page === "string" ? page : page(req)).then(
      (body) => res.writeHead(200, { "content-type": TYPES[path.extname(pathname)] ?? "text/html; charset=utf-8", ...headers }).end(body),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
