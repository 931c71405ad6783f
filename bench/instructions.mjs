// `npm run bench:instructions`: instructions per request of the session check and of a gateway call,
// counted by valgrind's callgrind (instrumentation on only while the measured requests run), for this
// build and, with BENCH_BASELINE=<built checkout>, an earlier one. Unlike req/s, the count hardly
// depends on what else the machine is doing: on a noisy shared machine it is the figure that tells
// "is this build doing more work per request". It does not see the kernel's share (syscalls, copies)
// nor cache misses; `npm run bench` stays the throughput figure.
// Each side runs BENCH_REPEATS times (default 2) and the lowest count is kept: a run where V8
// happened to take a slow path (or recompile) during the window only ever adds instructions.
// Environment: BENCH_REQUESTS (measured requests per run, default 3000; twice as many warm up first),
// BENCH_CONNECTIONS (default 10), BENCH_BASELINE, BENCH_REPEATS.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import { freePort, root, sessionServerEnv, signUpCookie, start, stopAll, tempDir } from "./processes.mjs";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const BASELINE = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined;

const load = (url, headers, amount) =>
  new Promise((resolve, reject) =>
    autocannon({ url, connections: CONNECTIONS, amount, headers }, (error, result) => (error ? reject(error) : resolve(result))),
  );

/** The session server of `folder` under callgrind; resolves once it listens (start-up under valgrind takes a while). */
function startUnderCallgrind(folder, env, outFile) {
  return new Promise((resolve, reject) => {
    const args = [
      "--tool=callgrind",
      "--smc-check=all-non-file",
      "--instr-atstart=no",
      "--separate-threads=yes",
      `--callgrind-out-file=${outFile}`,
    ];
    const child = spawn("valgrind", [...args, process.execPath, path.join(folder, "dist/server/server/main.js")], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    process.once("exit", () => child.kill("SIGKILL"));
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1] });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`session server under valgrind exited (${code}):\n${output.slice(-2000)}`)));
  });
}

/** One run: instructions per request, the main thread's and the whole process's. */
async function count(folder, target, redisUrl, upstreamUrl) {
  const dir = tempDir("callgrind");
  const out = path.join(dir, "callgrind.out");
  const server = await startUnderCallgrind(
    folder,
    // Valgrind slows the server some fifty times: Redis's answers must not time out meanwhile.
    sessionServerEnv({ REDIS_URL: redisUrl, REDIS_TIMEOUT_MS: "20000", UPSTREAMS: `echo=${upstreamUrl}` }),
    out,
  );
  try {
    const cookie = await signUpCookie(server.url, "instructions");
    const url = target === "gateway" ? `${server.url}/api/echo/items` : `${server.url}/auth/session`;
    const headers = { cookie, "x-csrf": "1" };
    await load(url, headers, 2 * REQUESTS); // warm-up: V8's tiering counts calls, so this is the same for every run
    const pid = String(server.child.pid);
    execFileSync("callgrind_control", ["-i", "on", pid], { stdio: "ignore" });
    execFileSync("callgrind_control", ["-z", pid], { stdio: "ignore" });
    const result = await load(url, headers, REQUESTS);
    execFileSync("callgrind_control", ["-d", pid], { stdio: "ignore" });
    if (result.non2xx + result.errors > 0) throw new Error(`${target}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    let total = 0;
    let main = 0;
    for (const file of fs.readdirSync(dir)) {
      const totals = /^totals:\s+(\d+)/m.exec(fs.readFileSync(path.join(dir, file), "utf8"));
      if (!totals) continue;
      total += Number(totals[1]);
      if (file.endsWith("-01")) main += Number(totals[1]); // thread 1: the event loop
    }
    return { main: main / REQUESTS, total: total / REQUESTS };
  } finally {
    server.child.kill("SIGKILL");
  }
}

async function main() {
  process.chdir(root);
  if (!fs.existsSync("dist/server/server/main.js")) execFileSync("npm", ["run", "--silent", "build:server"], { stdio: "inherit" });
  const redisPort = await freePort();
  await start(
    "redis",
    "redis-server",
    ["--port", String(redisPort), "--save", "", "--appendonly", "no", "--dir", tempDir("redis")],
    {},
    /Ready to accept/,
  );
  const echo = await start("upstream", process.execPath, ["bench/echo-upstream.mjs"], { PORT: "0" }, /listening on (http:\/\/\S+)/);
  const sides = [
    ["this build", root],
    ...(BASELINE
      ? [[`before (${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: BASELINE }).toString().trim()})`, BASELINE]]
      : []),
  ];
  const rows = [];
  for (const target of ["session", "gateway"]) {
    const best = new Map();
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const [name, folder] of repeat % 2 ? [...sides].reverse() : sides) {
        const figures = await count(folder, target, `redis://127.0.0.1:${redisPort}`, echo.match[1]);
        process.stdout.write(`  ${target} ${name}: ${Math.round(figures.main)} on the event loop, ${Math.round(figures.total)} in all\n`);
        const kept = best.get(name);
        if (!kept || figures.main < kept.main) best.set(name, figures);
      }
    }
    const label = target === "session" ? "session check" : "gateway call";
    for (const [name] of sides) {
      const { main: onLoop, total } = best.get(name);
      rows.push([`${label}, ${name}: instructions per request (event loop / all threads)`, `${Math.round(onLoop)} / ${Math.round(total)}`]);
    }
    if (BASELINE) {
      const [now, before] = sides.map(([name]) => best.get(name).main);
      rows.push([`  ratio before / now (event loop; >= 1: no more work than before)`, (before / now).toFixed(2)]);
    }
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  process.stdout.write(`\n${rows.map(([label, value]) => `${label.padEnd(width)}${value}`).join("\n")}\n`);
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
