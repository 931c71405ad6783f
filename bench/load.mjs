// `node bench/load.mjs` (after `npm run build`): two session-server instances on one Redis under a
// mixed load, the issue-6 scale-out check. It starts, on loopback only, its own redis-server on a
// free port, the reference auth service, a small upstream, and two session servers
// (dist/server/server/main.js) sharing REDIS_URL, SESSION_SECRET, AUTH_SERVICE and UPSTREAMS. Then
// LOAD_REQUESTS (default 3000) requests at LOAD_CONCURRENCY (default 50) with undici: sign-ups,
// logins, session checks on both instances, gateway calls and logouts, each answer checked. At the
// end every session that should exist must read as authenticated on both instances, and every
// logged-out one as anonymous on both. Prints requests, errors, sessions lost and the duration;
// exits 1 on any error or lost session, or when LOAD_TIMEOUT_MS (default 180000) passes. Stops
// everything it started, by pid.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Agent, request } from "undici";
import { children, freePort, root, start, stopAll, tempDir } from "./processes.mjs";
const TOTAL = Number(process.env.LOAD_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 50);
const DEADLINE_MS = Number(process.env.LOAD_TIMEOUT_MS ?? 180_000);
const PASSWORD = "load test password 0123";
const SESSION_SERVER = path.join(root, "dist/server/server/main.js");
const AUTH_SERVICE = path.join(root, "dist/server/server/auth-service/main.js");

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let answer = "";
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    setTimeout(() => done(false), 300);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk;
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
  });
}

async function startRedis() {
  const port = await freePort();
  const dir = tempDir("redis");
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: "ignore",
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await ping(port)) return `redis://127.0.0.1:${port}`;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("redis-server did not start");
}

// ---------------------------------------------------------------------------------------------

const dispatcher = new Agent({ connections: CONCURRENCY * 2, keepAliveTimeout: 10_000 });

async function call(base, method, pathname, { cookie, body } = {}) {
  const headers = {};
  if (cookie) headers.cookie = cookie;
  if (method !== "GET" || pathname.startsWith("/api/")) headers["x-csrf"] = "1";
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await request(base + pathname, {
    dispatcher,
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await response.body.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const setCookie = [response.headers["set-cookie"] ?? []].flat();
  return { status: response.statusCode, json, text, setCookie };
}

function sessionCookie(setCookie) {
  const line = setCookie.find((l) => /^(__Host-)?auth\.sid=/.test(l));
  if (!line) return undefined;
  const pair = line.split(";")[0];
  return pair.endsWith("=") ? null : pair; // "auth.sid=;" clears it
}

async function main() {
  if (!fs.existsSync(SESSION_SERVER) || !fs.existsSync(AUTH_SERVICE)) {
    process.stderr.write("dist/server is missing: run `npm run build` first\n");
    process.exit(1);
  }
  const deadline = setTimeout(() => {
    process.stderr.write(`load test did not finish within ${DEADLINE_MS} ms\n`);
    void stopAll().then(() => process.exit(1));
  }, DEADLINE_MS);

  const redisUrl = await startRedis();
  // The auth service's scrypt hashing runs at a lower priority (nice), so on a small machine it does
  // not starve the session servers and Redis, which are what this measures.
  const niced = fs.existsSync("/usr/bin/nice")
    ? ["/usr/bin/nice", ["-n", "10", process.execPath, AUTH_SERVICE]]
    : [process.execPath, [AUTH_SERVICE]];
  const auth = await start(
    "auth service",
    niced[0],
    niced[1],
    { AUTH_SERVICE_PORT: "0", PORT: "0", HOST: "127.0.0.1", DATA_DIR: tempDir("auth") },
    /auth service listening on (http:\/\/\S+)/,
  );
  const upstream = await start(
    "upstream",
    process.execPath,
    [path.join(root, "bench/echo-upstream.mjs")],
    { PORT: "0" },
    /listening on (http:\/\/\S+)/,
  );
  const shared = {
    HOST: "127.0.0.1",
    PORT: "0",
    REDIS_URL: redisUrl,
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    AUTH_SERVICE: auth.match[1],
    UPSTREAMS: `notes=${upstream.match[1]}/notes`,
    LOG_LEVEL: "warn",
    RATE_LIMIT_ADDRESS_FAILURES: "1000000",
    // The reference auth service hashes with scrypt: 50 sign-ups at once queue for seconds on a small
    // machine. This measures the session servers, so give the auth service time rather than count 504s.
    AUTH_TIMEOUT_MS: "30000",
    NODE_ENV: "",
  };
  const [a, b] = await Promise.all(
    ["a", "b"].map((name) =>
      start(
        `session server ${name}`,
        process.execPath,
        [SESSION_SERVER],
        { ...shared, DATA_DIR: tempDir(`session-${name}`) },
        /session server listening on (http:\/\/\S+) /,
      ),
    ),
  );
  const instances = [a.match[1], b.match[1]];
  process.stdout.write(`redis ${redisUrl}, auth service ${auth.match[1]}, session servers ${instances.join(" and ")}\n`);

  const counts = { signup: 0, login: 0, session: 0, gateway: 0, logout: 0 };
  const errors = [];
  let issued = 0;
  const started = Date.now();
  const pick = () => instances[Math.floor(Math.random() * 2)];
  const fail = (what, response, expected) =>
    errors.push(`${what}: expected ${expected}, got ${response.status} ${response.text.slice(0, 200)}`);

  const workers = Array.from({ length: CONCURRENCY }, (_, index) => ({
    index,
    email: undefined,
    cookie: undefined,
    userId: undefined,
    ended: [],
  }));

  async function step(w) {
    if (!w.email) {
      const email = `load.${index36()}.${w.index}@example.org`;
      counts.signup++;
      const response = await call(pick(), "POST", "/auth/signup", { body: { email, password: PASSWORD } });
      if (response.status !== 201 || !sessionCookie(response.setCookie)) return fail("signup", response, "201 with a cookie");
      w.email = email;
      w.userId = response.json.user.id;
      w.cookie = sessionCookie(response.setCookie);
      return;
    }
    if (!w.cookie) {
      counts.login++;
      const response = await call(pick(), "POST", "/auth/login", { body: { email: w.email, password: PASSWORD } });
      if (response.status !== 200 || !sessionCookie(response.setCookie)) return fail("login", response, "200 with a cookie");
      w.cookie = sessionCookie(response.setCookie);
      return;
    }
    const r = Math.random();
    if (r < 0.6) {
      counts.session++;
      const response = await call(instances[r < 0.3 ? 0 : 1], "GET", "/auth/session", { cookie: w.cookie });
      if (response.status !== 200 || response.json?.authenticated !== true || response.json.user.id !== w.userId)
        fail("session check", response, "200 authenticated as the worker's user");
    } else if (r < 0.96) {
      counts.gateway++;
      const response = await call(pick(), "GET", `/api/notes/list/${w.index}`, { cookie: w.cookie });
      if (response.status !== 200 || response.json?.ok !== true) fail("gateway call", response, "200 from the upstream");
    } else {
      counts.logout++;
      const response = await call(pick(), "POST", "/auth/logout", { cookie: w.cookie });
      if (response.status !== 204 || sessionCookie(response.setCookie) !== null) return fail("logout", response, "204 clearing the cookie");
      w.ended.push(w.cookie);
      w.cookie = undefined;
    }
  }

  await Promise.all(
    workers.map(async (w) => {
      while (issued < TOTAL) {
        issued++;
        try {
          await step(w);
        } catch (error) {
          errors.push(`request failed: ${error.message}`);
        }
      }
    }),
  );
  const duration = Date.now() - started;

  // Every session that should exist reads as authenticated on both instances; every ended one as anonymous.
  let lost = 0;
  let revived = 0;
  let checked = 0;
  for (const w of workers) {
    if (w.cookie) {
      checked++;
      const answers = await Promise.all(instances.map((base) => call(base, "GET", "/auth/session", { cookie: w.cookie })));
      if (!answers.every((x) => x.status === 200 && x.json?.authenticated === true && x.json.user.id === w.userId)) {
        lost++;
        errors.push(`session of worker ${w.index} lost: ${answers.map((x) => `${x.status} ${x.text.slice(0, 100)}`).join(" | ")}`);
      }
    }
    for (const cookie of w.ended) {
      const answers = await Promise.all(instances.map((base) => call(base, "GET", "/auth/session", { cookie })));
      if (!answers.every((x) => x.status === 200 && x.json?.authenticated === false)) revived++;
    }
  }
  if (revived) errors.push(`${revived} logged-out sessions still read as signed in`);
  clearTimeout(deadline);

  const ended = workers.reduce((n, w) => n + w.ended.length, 0);
  process.stdout.write(
    [
      `requests: ${issued} (${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}) at concurrency ${CONCURRENCY}`,
      `errors: ${errors.length}`,
      `sessions lost: ${lost} (of ${checked} live sessions, each checked on both instances; ${ended} logged-out sessions still anonymous on both: ${revived === 0 ? "yes" : "no"})`,
      `duration: ${duration} ms (${Math.round((issued / duration) * 1000)} requests/s)`,
      "",
    ].join("\n"),
  );
  for (const error of errors.slice(0, 10)) process.stdout.write(`  error: ${error}\n`);
  if (errors.length > 0) {
    // What the servers logged (warnings and errors only, LOG_LEVEL=warn) usually says why.
    for (const [name, proc] of [
      ["session server a", a],
      ["session server b", b],
      ["auth service", auth],
    ]) {
      const lines = proc
        .output()
        .trim()
        .split("\n")
        .filter((line) => !/listening on/.test(line))
        .slice(-5);
      for (const line of lines) process.stdout.write(`  ${name}: ${line.slice(0, 300)}\n`);
    }
  }
  await dispatcher.close();
  await stopAll();
  process.exit(errors.length > 0 || lost > 0 ? 1 : 0);
}

let serial = 0;
const runId = randomBytes(3).toString("hex");
function index36() {
  serial++;
  return `${runId}${serial.toString(36)}`;
}

main().catch(async (error) => {
  process.stderr.write(`load test failed: ${error.message}\n`);
  await stopAll();
  process.exit(1);
});
