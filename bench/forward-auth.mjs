// The forward-auth path for `npm run bench` (bench/run.mjs prints it beside the gateway and the direct
// call): a real nginx (README's forward-auth setup, test/nginx.mjs: auth_request to the session
// server's /auth/verify on FORWARD_AUTH_PORT, auth_request_set and proxy_set_header) in front of the same
// upstream, on the same Redis, measured like the other sides: ROUNDS runs of autocannon, median shown.
// It starts its own session server (with FORWARD_AUTH_PORT) and nginx, and stops both when done.
import { forwardAuthHttp, NGINX_PATH, writeNginxConf } from "../test/nginx.mjs";
import { freePort, sessionServerEnv, signUpCookie, start, tempDir } from "./processes.mjs";

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

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
  const port = await freePort();
  const http = forwardAuthHttp({ port, verifyHost: `127.0.0.1:${verifyPort}`, upstreamHost: new URL(upstreamUrl).host, keepalive: 64 });
  const conf = writeNginxConf(dir, { http, workers: 1, errorLog: "stderr", logLevel: "notice", connections: 4096 });
  // nginx logs to stderr; start() reads its ready line from stdout, so the shell joins the two and
  // then becomes nginx (exec), keeping the pid that stopAll() signals.
  const nginx = await start(
    "nginx",
    "/bin/sh",
    ["-c", `exec ${NGINX_PATH} -p '${dir}' -c '${conf}' -e stderr 2>&1`],
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
