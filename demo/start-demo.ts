// `npm start`: the whole demo on one port, as the documented same-origin deployment looks:
// a front server serves the host pages with a strict CSP and reverse-proxies /auth and /api to the
// session server, which uses the embedded store, the reference auth service in-process (every
// account-lifecycle feature on, its mails in the dev mailbox under DATA_DIR/mail/ unless SMTP_URL is
// set) and the demo notes upstream. No Redis and no external service needed (REDIS_URL, AUTH_SERVICE,
// SMTP_URL and the rest of the session server's variables are honoured). Mailed links point at the
// front's pages: PUBLIC_ORIGIN defaults to the front's origin. The front also serves the dev mailbox
// (/mailbox and its /mailbox.json): demo only, never part of the session server.
// Unless OIDC_PROVIDERS is set, it also starts the demo identity provider (demo/idp/), offered as
// "Continue with Test IdP (demo)": anyone signs in there as any e-mail address, for trying it out.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig, parsePort, type Config } from "../server/config.js";
import { devMailboxDir, startSessionServer } from "../server/start.js";
import { readDevMailbox } from "./dev-mailbox.js";
import type { MailboxAnswer } from "./shared/mailbox-answer.js";
import { startDemoIdp } from "./idp/demo-idp.js";
import { startNotesService } from "./upstream/notes-service.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json; charset=utf-8",
};

/** The host pages' policy: the strict CSP the elements promise to work under. */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** Static roots, first match wins: built demo pages, then the bundle. */
function staticFile(urlPath: string): string | undefined {
  const clean = decodeURIComponent(urlPath.split("?")[0]!);
  if (clean.includes("\0") || clean.split("/").includes("..")) return undefined;
  const candidates = [
    path.join(root, "demo/dist", clean),
    path.join(root, "demo/dist", clean, "index.html"),
    path.join(root, "demo/public", clean),
    path.join(root, "demo/public", clean, "index.html"),
    /^\/dist\/(?:(?:chunks|locales)\/)?[\w.-]+$/.test(clean) ? path.join(root, clean) : undefined, // the bundle, never dist/server
  ];
  return candidates.find((file): file is string => !!file && fs.existsSync(file) && fs.statSync(file).isFile());
}

function proxyTo(target: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "upstream_unavailable", message: "The session server is unavailable." }));
  });
  req.pipe(upstream);
}

/** The dev mailbox for the /mailbox page: its mails, or why there are none to show. */
async function mailboxAnswer(config: Config, res: http.ServerResponse): Promise<void> {
  const dir = devMailboxDir(config);
  const body: MailboxAnswer = dir
    ? { mailbox: "dev", mails: await readDevMailbox(dir) }
    : { mailbox: config.referenceService ? "smtp" : "external", mails: [] };
  res.writeHead(200, { ...PAGE_HEADERS, "content-type": CONTENT_TYPES[".json"], "cache-control": "no-store" }).end(JSON.stringify(body));
}

async function main(): Promise<void> {
  const port = parsePort("PORT", process.env.PORT ?? "3000");
  const host = process.env.HOST ?? "127.0.0.1";
  const dataDir = path.resolve(process.env.DATA_DIR ?? path.join(root, "data"));

  // The front listens first: with PORT=0 its origin, where mailed links must point, is known only then.
  let serve: http.RequestListener = (_req, res) => void res.writeHead(503, { "retry-after": "1" }).end();
  const front = http.createServer((req, res) => serve(req, res));
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(port, host, resolve);
  });
  const { port: actualPort } = front.address() as AddressInfo;
  // 127.0.0.1 (and every interface) is shown as localhost, which mailed links, provider callbacks and passkeys then
  // use too: browsers refuse WebAuthn on an IP address, and one name for the demo keeps one cookie jar.
  const asLocalhost = ["127.0.0.1", "0.0.0.0", "::"].includes(host);
  const shownHost = asLocalhost ? "localhost" : host.includes(":") ? `[${host}]` : host;
  const frontOrigin = `http://${shownHost}:${actualPort}`;

  // The notes service learns the auth service's origin (for its JWKS) from the session server, which starts the
  // reference one in-process; the first token it checks comes after that.
  let authServiceUrl = "";
  const demoIdp = process.env.OIDC_PROVIDERS ? undefined : await startDemoIdp();
  // The notes accept the demo IdP's access tokens too: the gateway's bearer for its sessions.
  const notes = await startNotesService({
    authServiceUrl: () => authServiceUrl,
    ...(demoIdp && { providers: [{ issuer: demoIdp.provider.issuer, audience: demoIdp.provider.resource }] }),
  });
  const config = loadConfig({
    PUBLIC_ORIGIN: frontOrigin,
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    UPSTREAMS: [process.env.UPSTREAMS, `notes=${notes.url}`].filter(Boolean).join(","),
    ...demoIdp?.env,
  });
  const sessionServer = await startSessionServer(config);
  authServiceUrl = sessionServer.authServiceUrl;
  const sessionServerUrl = new URL(sessionServer.url);

  serve = (req, res) => {
    const url = req.url ?? "/";
    if (url.startsWith("/auth/") || url === "/auth" || url.startsWith("/api/") || url === "/healthz" || url === "/readyz") {
      return proxyTo(sessionServerUrl, req, res);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (url.split("?")[0] === "/mailbox.json") {
      mailboxAnswer(config, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { "content-type": CONTENT_TYPES[".json"] });
        res.end(JSON.stringify({ error: "mailbox_unreadable", message: "The dev mailbox could not be read." }));
      });
      return;
    }
    const file = staticFile(url);
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", ...PAGE_HEADERS }).end("Not found");
      return;
    }
    res.writeHead(200, { "content-type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream", ...PAGE_HEADERS });
    if (req.method === "HEAD") return void res.end();
    fs.createReadStream(file).pipe(res);
  };
  process.stdout.write(`auth-elements demo running at ${frontOrigin}/\n`);
  const mailDir = devMailboxDir(config);
  if (mailDir) process.stdout.write(`mails go to the dev mailbox: ${frontOrigin}/mailbox (files in ${mailDir})\n`);
  if (mailDir && !["127.0.0.1", "localhost", "::1"].includes(host)) {
    process.stderr.write(`warning: HOST=${host}: the /mailbox page shows every mailed link to whoever reaches this port\n`);
  }
  // The redirect URIs are on the front server's origin.
  const hostnames = host === "127.0.0.1" || host === "0.0.0.0" ? ["127.0.0.1", "localhost"] : [host];
  demoIdp?.register(
    hostnames.map((name) => `http://${name}:${actualPort}`),
    sessionServer.url,
  );
  if (demoIdp)
    process.stdout.write(`Demo IdP (tests and demo only: any e-mail address signs in, no password) at ${demoIdp.provider.url}\n`);

  const stop = async (): Promise<void> => {
    front.close();
    front.closeAllConnections();
    await sessionServer.close();
    await notes.close();
    await demoIdp?.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? "configuration error: " : "demo failed to start: "}${(error as Error).message}\n`);
  process.exit(1);
});
