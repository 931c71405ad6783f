// The forward-auth path for `npm run bench` (bench/run.mjs prints it beside the gateway and the direct
// call): a real nginx (auth_request to the session server's /auth/verify on FORWARD_AUTH_PORT,
// auth_request_set and proxy_set_header Authorization, as README's snippet) in front of the same
// upstream, on the same Redis, measured like the other sides: ROUNDS runs of autocannon, median shown.
// It starts its own session server (with FORWARD_AUTH_PORT) and nginx, and stops both when done.
import fs from "node:fs";
import path from "node:path";
import { freePort, sessionServerEnv, signUpCookie, start, tempDir } from "./processes.mjs";

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function nginxConfig(dir, port, verifyPort, upstreamUrl) {
  const upstream = new URL(upstreamUrl);
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr notice;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream session_server_verify { server 127.0.0.1:${verifyPort}; keepalive 64; }
  upstream app { server ${upstream.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location = /_verify {
      internal;
      proxy_pass http://session_server_verify/auth/verify;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-Method $request_method;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Uri $request_uri;
    }
    location / {
      auth_request /_verify;
      auth_request_set $auth_authorization $upstream_http_authorization;
      proxy_set_header Authorization $auth_authorization;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
  }
}
`;
}

/**
 * Requests per second (and p50 latency) of `GET /items` through nginx + forward auth, signed in.
 * `load(url, options)` is run.mjs's autocannon runner; `errorsOf(result)` its error count.
 */
export async function measureForwardAuth({ load, errorsOf, redisUrl, upstreamUrl, rounds, connections }) {
  const verifyPort = await freePort();
  const server = await start(
    "session server (forward auth)",
    process.execPath,
    ["dist/server/server/main.js"],
    sessionServerEnv({ FORWARD_AUTH_PORT: String(verifyPort), TRUST_PROXY: "loopback", REDIS_URL: redisUrl }),
    /listening on (http:\/\/\S+)/,
  );
  const dir = tempDir("nginx");
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) fs.mkdirSync(path.join(dir, sub));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, "nginx.conf"), nginxConfig(dir, port, verifyPort, upstreamUrl));
  // nginx logs to stderr; start() reads its ready line from stdout, so the shell joins the two and
  // then becomes nginx (exec), keeping the pid that stopAll() signals.
  const nginx = await start(
    "nginx",
    "/bin/sh",
    ["-c", `exec /usr/sbin/nginx -p '${dir}' -c '${path.join(dir, "nginx.conf")}' -e stderr 2>&1`],
    {},
    /start worker process/,
  );
  try {
    const cookie = await signUpCookie(server.match[1], "bench-fa");
    const url = `http://127.0.0.1:${port}/items`;
    const probe = await fetch(url, { headers: { cookie } });
    if (probe.status !== 200) throw new Error(`nginx forward-auth probe failed: ${probe.status}`);

    await load(url, { seconds: 2, connections, headers: { cookie } });
    const rps = [];
    const p50 = [];
    let errors = 0;
    for (let round = 0; round < rounds; round++) {
      const result = await load(url, { connections, headers: { cookie } });
      errors += errorsOf(result);
      rps.push(result.requests.average);
      p50.push(result.latency.p50);
      process.stdout.write(
        `  round ${round + 1} ${`nginx+verify@${connections}`.padEnd(16)} ${Math.round(result.requests.average)} req/s\n`,
      );
    }
    return { rps: median(rps), p50: median(p50), errors };
  } finally {
    nginx.child.kill("SIGTERM");
    server.child.kill("SIGTERM");
  }
}
