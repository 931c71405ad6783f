// `npm run bench`: measures, side by side in one run, on one Redis:
//   1. authenticated GET /auth/session: our session server vs the seed article's stack;
//   2. a gateway call vs the same upstream called directly (throughput, added latency p50/p99), at
//      10 connections (latency-bound) and at BENCH_CONNECTIONS (CPU-bound), with a bare Node proxy
//      hop (bench/bare-proxy.mjs) beside them, the most any Node gateway reaches on this machine,
//      and the same hop made by nginx (bench/nginx-hop.mjs; skipped when nginx is not installed),
//      the cost of a proxy hop in C;
//   3. what a page with the four original elements downloads (gzip) against its budget;
//   4. the session server's memory before and after a sustained load;
//   5. the forward-auth path, nginx + /auth/verify in front of the same upstream (bench/forward-auth.mjs).
// With BENCH_BASELINE=<folder>, a built checkout of an earlier commit (for example
// `git worktree add ../before <commit> && cd ../before && npm ci && npm run build`), its session
// server runs beside ours on the same Redis and takes part in every session-check and gateway round:
// "no slower than before" read off one run.
// Each comparison alternates the sides and reports the median of ROUNDS runs.
// Environment: BENCH_SECONDS (per run, default 5), BENCH_ROUNDS (default 3),
// BENCH_SOAK_SECONDS (default 60), BENCH_CONNECTIONS (default 50), BENCH_GATEWAY_CONNECTIONS
// (default "10,<BENCH_CONNECTIONS>"), BENCH_BASELINE (default none).
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { startNginxHop } from "./nginx-hop.mjs";
import { ENTRY_BUDGET as BUDGET, fourElementsDownload } from "../scripts/check-size.mjs";
import { measureForwardAuth } from "./forward-auth.mjs";
import { cookieFrom, freePort, root, sessionServerEnv, signUpCookie, start, stopAll, tempDir } from "./processes.mjs";

process.chdir(root);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const GATEWAY_CONNECTIONS = (process.env.BENCH_GATEWAY_CONNECTIONS ?? `10,${CONNECTIONS}`).split(",").map(Number);
const BASELINE = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined;

function load(url, options = {}) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: options.connections ?? CONNECTIONS,
        duration: options.seconds ?? SECONDS,
        headers: options.headers ?? {},
        requests: options.requests,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
// Now against before, round by round: the two runs of a round are back to back, so a drift of the
// machine's speed between rounds cancels out. The median of those ratios, and their range.
const pairedRatio = (now, before) => {
  const ratios = now.map((value, round) => value / before[round]).sort((a, b) => a - b);
  return `${median(ratios).toFixed(2)} (rounds ${ratios[0].toFixed(2)}-${ratios[ratios.length - 1].toFixed(2)})`;
};
const rssKiB = (pid) => Number(execSync(`ps -o rss= -p ${pid}`).toString().trim());

async function main() {
  if (!fs.existsSync("dist/server/server/main.js") || !fs.existsSync("dist/auth-elements.js")) {
    execSync("npm run --silent build", { stdio: "inherit" });
  }
  const redisPort = await freePort();
  await start(
    "redis",
    "redis-server",
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tempDir("redis")],
    {},
    /Ready to accept connections/,
  );
  const redisUrl = `redis://127.0.0.1:${redisPort}`;

  const echo = await start("upstream", process.execPath, ["bench/echo-upstream.mjs"], { PORT: "0" }, /listening on (http:\/\/\S+)/);
  const upstreamUrl = echo.match[1];
  const seed = await start(
    "seed stack",
    process.execPath,
    ["bench/seed-stack.mjs"],
    { PORT: "0", REDIS_URL: redisUrl },
    /listening on (http:\/\/\S+)/,
  );
  const seedUrl = seed.match[1];
  const sessionServer = (name, folder) =>
    start(
      name,
      process.execPath,
      [path.join(folder, "dist/server/server/main.js")],
      sessionServerEnv({ REDIS_URL: redisUrl, UPSTREAMS: `echo=${upstreamUrl}` }),
      /listening on (http:\/\/\S+)/,
    );
  const ours = await sessionServer("session server", root);
  const oursUrl = ours.match[1];
  const before = BASELINE ? await sessionServer("baseline session server", BASELINE) : undefined;
  const beforeUrl = before?.match[1];
  const beforeCommit = BASELINE ? execSync("git rev-parse --short HEAD", { cwd: BASELINE }).toString().trim() : "";
  const bare = await start(
    "bare proxy",
    process.execPath,
    ["bench/bare-proxy.mjs"],
    { PORT: "0", UPSTREAM: upstreamUrl },
    /listening on (http:\/\/\S+)/,
  );
  const bareUrl = bare.match[1];
  const nginxUrl = await startNginxHop(upstreamUrl);

  const oursCookie = await signUpCookie(oursUrl);
  const beforeCookie = beforeUrl ? await signUpCookie(beforeUrl) : "";
  const seedLogin = await fetch(`${seedUrl}/auth/login`, { method: "POST" });
  const seedCookie = cookieFrom(seedLogin);

  const check = async (url, cookie) => {
    const body = await (await fetch(url, { headers: { cookie } })).json();
    if (!body.authenticated) throw new Error(`${url} does not see the session`);
  };
  await check(`${oursUrl}/auth/session`, oursCookie);
  await check(`${seedUrl}/auth/session`, seedCookie);
  if (beforeUrl) await check(`${beforeUrl}/auth/session`, beforeCookie);
  const gatewayHeaders = { cookie: oursCookie, "x-csrf": "1" };
  const beforeGatewayHeaders = { cookie: beforeCookie, "x-csrf": "1" };
  const gatewayProbe = await fetch(`${oursUrl}/api/echo/items`, { headers: gatewayHeaders });
  if (gatewayProbe.status !== 200) throw new Error(`gateway probe failed: ${gatewayProbe.status} ${await gatewayProbe.text()}`);

  const errorsOf = (result) => result.errors + result.timeouts + result.non2xx;
  let errors = 0;
  const runs = { ours: [], seed: [], before: [] };
  const gatewayRuns = new Map(
    GATEWAY_CONNECTIONS.map((connections) => [
      connections,
      { gateway: [], before: [], bare: [], nginx: [], direct: [], gatewayP50: [], gatewayP99: [], directP50: [], directP99: [] },
    ]),
  );

  process.stdout.write(`warming up (${CONNECTIONS} connections)…\n`);
  await load(`${oursUrl}/auth/session`, { seconds: 2, headers: { cookie: oursCookie } });
  await load(`${seedUrl}/auth/session`, { seconds: 2, headers: { cookie: seedCookie } });
  await load(`${oursUrl}/api/echo/items`, { seconds: 2, headers: gatewayHeaders });
  if (beforeUrl) {
    await load(`${beforeUrl}/auth/session`, { seconds: 2, headers: { cookie: beforeCookie } });
    await load(`${beforeUrl}/api/echo/items`, { seconds: 2, headers: beforeGatewayHeaders });
  }
  await load(`${bareUrl}/api/echo/items`, { seconds: 2 });
  if (nginxUrl) await load(`${nginxUrl}/api/echo/items`, { seconds: 2 });
  await load(`${upstreamUrl}/items`, { seconds: 2 });

  // Each round alternates the order of the sides, so a drift of the machine's speed hits all alike.
  const measure = async (round, sides, record) => {
    const ordered = round % 2 === 1 ? [...sides].reverse() : sides;
    for (const [name, run] of ordered) {
      const result = await run();
      errors += errorsOf(result);
      record(name, result);
      process.stdout.write(`  round ${round + 1} ${name.padEnd(16)} ${Math.round(result.requests.average)} req/s\n`);
    }
  };
  for (let round = 0; round < ROUNDS; round++) {
    await measure(
      round,
      [
        // Now and before side by side: their two runs of a round are back to back, the seed's beside them.
        ["ours", () => load(`${oursUrl}/auth/session`, { headers: { cookie: oursCookie } })],
        ...(beforeUrl ? [["before", () => load(`${beforeUrl}/auth/session`, { headers: { cookie: beforeCookie } })]] : []),
        ["seed", () => load(`${seedUrl}/auth/session`, { headers: { cookie: seedCookie } })],
      ],
      (name, result) => runs[name].push(result.requests.average),
    );
    for (const [connections, series] of gatewayRuns) {
      await measure(
        round,
        [
          [`gateway@${connections}`, () => load(`${oursUrl}/api/echo/items`, { connections, headers: gatewayHeaders })],
          ...(beforeUrl
            ? [[`before@${connections}`, () => load(`${beforeUrl}/api/echo/items`, { connections, headers: beforeGatewayHeaders })]]
            : []),
          [`bare@${connections}`, () => load(`${bareUrl}/api/echo/items`, { connections })],
          ...(nginxUrl ? [[`nginx@${connections}`, () => load(`${nginxUrl}/api/echo/items`, { connections })]] : []),
          [`direct@${connections}`, () => load(`${upstreamUrl}/items`, { connections })],
        ],
        (label, result) => {
          const name = label.split("@")[0];
          series[name].push(result.requests.average);
          if (`${name}P50` in series) {
            series[`${name}P50`].push(result.latency.p50);
            series[`${name}P99`].push(result.latency.p99);
          }
        },
      );
    }
  }

  const forwardAuth = await measureForwardAuth({ load, errorsOf, redisUrl, upstreamUrl, rounds: ROUNDS, connections: CONNECTIONS });
  errors += forwardAuth.errors;

  // Memory: RSS before, a sustained mixed load, RSS after (after a pause for the GC to settle).
  const pid = ours.child.pid;
  const rssBefore = rssKiB(pid);
  process.stdout.write(`soak: ${SOAK_SECONDS} s of mixed session checks and gateway calls…\n`);
  const [soakA, soakB] = await Promise.all([
    load(`${oursUrl}/auth/session`, { seconds: SOAK_SECONDS, headers: { cookie: oursCookie } }),
    load(`${oursUrl}/api/echo/items`, { seconds: SOAK_SECONDS, headers: gatewayHeaders }),
  ]);
  errors += errorsOf(soakA) + errorsOf(soakB);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const rssAfter = rssKiB(pid);

  // What a page with the four original elements downloads: the entry, and with <auth-login>'s extras.
  const gz = fourElementsDownload().bytes;
  const gzWithExtras = fourElementsDownload({ withExtras: true }).bytes;

  const oursRps = median(runs.ours);
  const seedRps = median(runs.seed);
  const gatewayRows = [];
  const gatewayRatios = [];
  for (const [connections, series] of gatewayRuns) {
    const gatewayRps = median(series.gateway);
    const bareRps = median(series.bare);
    const nginxRps = nginxUrl ? median(series.nginx) : undefined;
    const directRps = median(series.direct);
    gatewayRatios.push(gatewayRps / directRps);
    const beforeRps = beforeUrl ? median(series.before) : undefined;
    gatewayRows.push(
      [`gateway call, ${connections} connections (req/s)`, Math.round(gatewayRps)],
      ...(beforeUrl
        ? [
            [`  the same before (${beforeCommit}) (req/s)`, Math.round(beforeRps)],
            ["  ratio gateway now / before: of the medians", (gatewayRps / beforeRps).toFixed(2)],
            ["  ratio gateway now / before: median per round", pairedRatio(series.gateway, series.before)],
          ]
        : []),
      [`bare Node proxy hop, ${connections} connections (req/s)`, Math.round(bareRps)],
      [`nginx hop (1 worker), ${connections} connections (req/s)`, nginxUrl ? Math.round(nginxRps) : "skipped: nginx is not installed"],
      [`direct upstream call, ${connections} connections (req/s)`, Math.round(directRps)],
      ["  ratio gateway / direct (goal >= 0.35)", (gatewayRps / directRps).toFixed(2)],
      ["  ratio bare hop / direct (reference)", (bareRps / directRps).toFixed(2)],
      ...(nginxUrl ? [["  ratio nginx hop / direct (reference)", (nginxRps / directRps).toFixed(2)]] : []),
      ["  gateway / bare hop", (gatewayRps / bareRps).toFixed(2)],
      ...(nginxUrl ? [["  gateway / nginx hop", (gatewayRps / nginxRps).toFixed(2)]] : []),
      ["  added latency p50 (ms)", (median(series.gatewayP50) - median(series.directP50)).toFixed(1)],
      ["  added latency p99 (ms)", (median(series.gatewayP99) - median(series.directP99)).toFixed(1)],
    );
  }
  const rows = [
    ["session check, ours (req/s)", Math.round(oursRps)],
    ["session check, seed stack (req/s)", Math.round(seedRps)],
    ["  ratio ours / seed (goal >= 1.5)", (oursRps / seedRps).toFixed(2)],
    ...(beforeUrl
      ? [
          [`session check, before (${beforeCommit}) (req/s)`, Math.round(median(runs.before))],
          ["  ratio now / before: of the medians", (oursRps / median(runs.before)).toFixed(2)],
          ["  ratio now / before: median per round", pairedRatio(runs.ours, runs.before)],
        ]
      : []),
    ...gatewayRows,
    [
      `nginx + forward auth (/auth/verify), ${CONNECTIONS} connections (req/s)`,
      `${Math.round(forwardAuth.rps)} (${(forwardAuth.rps / median(gatewayRuns.get(CONNECTIONS)?.direct ?? [NaN])).toFixed(2)} of direct, p50 ${forwardAuth.p50} ms)`,
    ],
    ["bundle gzip -9, four original elements (bytes)", `${gz} of ${BUDGET} (${((gz / BUDGET) * 100).toFixed(0)}%)`],
    ["  the same with passkeys or a provider offered", `${gzWithExtras} of ${BUDGET} (${((gzWithExtras / BUDGET) * 100).toFixed(0)}%)`],
    [
      `server RSS before / after ${SOAK_SECONDS} s load (MiB)`,
      `${(rssBefore / 1024).toFixed(1)} / ${(rssAfter / 1024).toFixed(1)} (${(((rssAfter - rssBefore) / rssBefore) * 100).toFixed(1)}%)`,
    ],
    ["soak requests served", soakA.requests.total + soakB.requests.total],
    ["errors, timeouts and non-2xx (all runs)", errors],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(
    `\nauth-elements benchmark: ${ROUNDS} alternating rounds of ${SECONDS} s, ${CONNECTIONS} connections, median shown, Node ${process.version}, ${os.cpus().length} cores\n`,
  );
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
  const goals = oursRps / seedRps >= 1.5 && gatewayRatios.every((ratio) => ratio >= 0.35) && gz <= BUDGET && errors === 0;
  process.stdout.write(`\ngoals ${goals ? "met" : "NOT met"}\n`);
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
