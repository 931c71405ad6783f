// nginx as the tests and the benchmarks run it: Debian's binary (never the system service), with a
// generated config whose every path (pid, lock, error log, temp folders) is in the run's own folder,
// and the documented forward-auth setup (README, "Forward auth"). Shared by test/helpers/nginx.ts
// and bench/ (nginx-hop.mjs, forward-auth.mjs), so each runs the same nginx the same way.
import fs from "node:fs";
import path from "node:path";

export const NGINX_PATH = "/usr/sbin/nginx";

const TEMP_PATHS = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"];

/**
 * Writes `<dir>/nginx.conf` with `http` as the body of its http block and returns its path. One
 * process (`master_process off`) unless `workers` is given: then a master and that many workers.
 */
export function writeNginxConf(dir, { http, workers, errorLog = path.join(dir, "error.log"), logLevel = "warn", connections = 1024 }) {
  for (const sub of TEMP_PATHS) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const processes = workers === undefined ? "master_process off;" : `worker_processes ${workers};`;
  const conf = path.join(dir, "nginx.conf");
  fs.writeFileSync(
    conf,
    `# Generated for one run: everything nginx writes is in ${dir}.
daemon off;
${processes}
pid ${dir}/nginx.pid;
lock_file ${dir}/nginx.lock;
error_log ${errorLog} ${logLevel};
events { worker_connections ${connections}; }
http {
  access_log off;
${TEMP_PATHS.map((sub) => `  ${sub}_temp_path ${dir}/${sub};`).join("\n")}
${http}
}
`,
  );
  return conf;
}

/**
 * The http block of README's forward-auth setup: `/` is protected by `auth_request` to the session
 * server's verify endpoint (`verifyHost`, its FORWARD_AUTH_PORT), whose Authorization and user
 * headers go on to the upstream (`upstreamHost`); `keepalive` idle connections to each.
 */
export function forwardAuthHttp({ port, verifyHost, upstreamHost, authPrefix = "/auth", keepalive = 8 }) {
  return `
  upstream session_server_verify { server ${verifyHost}; keepalive ${keepalive}; }
  upstream app { server ${upstreamHost}; keepalive ${keepalive}; }
  server {
    listen 127.0.0.1:${port};
    location = /_verify {
      internal;
      proxy_pass http://session_server_verify${authPrefix}/verify;
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
      auth_request_set $auth_user $upstream_http_x_auth_request_user;
      auth_request_set $auth_email $upstream_http_x_auth_request_email;
      proxy_set_header Authorization $auth_authorization;
      proxy_set_header X-Auth-Request-User $auth_user;
      proxy_set_header X-Auth-Request-Email $auth_email;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
  }`;
}
