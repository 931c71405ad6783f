// A second reference point for the gateway benchmark, beside bench/bare-proxy.mjs: the same proxy
// hop made by Debian's nginx (one worker, keep-alive to the upstream), i.e. what a hop costs in C on
// this machine. It does the bare hop's work: `/api/<name>/<path>` goes to `<path>` (the raw request
// target, query included), with only a JWT-sized bearer token and X-Forwarded-For/-Proto sent.
// Everything nginx writes (config, pid, lock, error log, temp folders) is in a temp folder
// (test/nginx.mjs writes the config around this file's http block).
// startNginxHop() resolves with its URL, or with undefined (saying why in one line) without nginx.
import fs from "node:fs";
import { NGINX_PATH, writeNginxConf } from "../test/nginx.mjs";
import { freePort, start, tempDir } from "./processes.mjs";

const bearer = `Bearer ${"x".repeat(700)}`; // the bare hop's token

/** The http block: the bare hop's routing and headers, keep-alive on both sides as the Node servers. */
function hopHttp(port, upstream) {
  return `
  # As the Node servers: a 30 s idle timeout and no cap on requests per keep-alive connection
  # (nginx would close each one after 1,000, making the load generator reconnect).
  keepalive_timeout 30s;
  keepalive_requests 1000000;
  # As the bare hop: whatever follows the first "/" after "/api/" in the raw request target.
  map $request_uri $upstream_path {
    "~^/api/[^/]*(?<rest>/.*)$" $rest;
  }
  upstream echo {
    server ${upstream.host};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 20s; # under the upstream's 30 s, so nginx never reuses a connection it is closing
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      if ($upstream_path = "") {
        return 404;
      }
      proxy_pass http://echo$upstream_path;
      proxy_http_version 1.1;
      proxy_pass_request_headers off;
      proxy_set_header Host "${upstream.host}";
      proxy_set_header Connection "";
      proxy_set_header Authorization "${bearer}";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto http;
    }
  }`;
}

/** Starts nginx in front of `upstreamUrl`; stopped by pid, with its worker, by stopAll(). */
export async function startNginxHop(upstreamUrl) {
  if (!fs.existsSync(NGINX_PATH)) {
    process.stdout.write("nginx hop: skipped, nginx is not installed (apt-get install nginx)\n");
    return undefined;
  }
  const dir = tempDir("nginx");
  // Run as root, nginx's worker drops to "nobody": let it reach the temp folders nginx makes for it.
  if (process.getuid?.() === 0) fs.chmodSync(dir, 0o711);
  const port = await freePort();
  const conf = writeNginxConf(dir, { http: hopHttp(port, new URL(upstreamUrl)), workers: 1 });
  const url = `http://127.0.0.1:${port}`;
  const answers = async () => {
    const response = await fetch(`${url}/api/echo/items`, { signal: AbortSignal.timeout(1_000) });
    return response.status === 200 && (await response.json()).ok === true;
  };
  await start("nginx", NGINX_PATH, ["-p", `${dir}/`, "-c", conf, "-e", `${dir}/error.log`], {}, answers, { group: true });
  return url;
}
