// Prometheus metrics (security.md 38): `/metrics` only where METRICS_PORT or METRICS_ALLOW say (the
// socket's peer, never a forwarded header), valid text exposition, counts that move with what users
// do, and nothing in it that names a user, a session or an address.
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiGet, bearerOf, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  openedPasswordSession,
  PASSWORD,
  sidOf,
  startTestSessionServer,
  waitFor,
  type TestSessionServer,
} from "../../helpers/session-server.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (format 0.0.4) strictly: throws on any line that is not valid. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  const family = (name: string): string | undefined =>
    [name, name.replace(/_(bucket|sum|count)$/, "")].find((candidate) => types.has(candidate));
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(meta[3]!)) throw new Error(`bad TYPE: ${line}`);
        if (!helped.has(meta[2]!)) throw new Error(`TYPE before HELP: ${line}`);
        types.set(meta[2]!, meta[3]!);
      } else helped.add(meta[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = sample[2] ?? "";
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let at = 0;
    while (at < labelText.length) {
      pair.lastIndex = at;
      const match = pair.exec(labelText);
      if (!match) throw new Error(`bad labels: ${line}`);
      labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_all, c: string) => (c === "n" ? "\n" : c));
      at = pair.lastIndex;
    }
    // Values as Prometheus reads them (Go's ParseFloat): numbers, and Inf or NaN in any case.
    const raw = sample[3]!;
    const value = /^[+-]?inf$/i.test(raw) ? (raw.startsWith("-") ? -Infinity : Infinity) : /^nan$/i.test(raw) ? NaN : Number(raw);
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`bad value: ${line}`);
    if (!family(sample[1]!)) throw new Error(`sample without TYPE: ${line}`);
    samples.push({ name: sample[1]!, labels, value });
  }
  return { samples, types };
}

async function scrape(url: string): Promise<{ status: number; contentType: string; text: string }> {
  const response = await request(`${url}/metrics`);
  return { status: response.statusCode, contentType: String(response.headers["content-type"]), text: await response.body.text() };
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

let redis: RedisServer;
let echo: EchoUpstream;
let server: TestSessionServer;

beforeAll(async () => {
  redis = await startRedisServer();
  echo = await startEchoUpstream();
  server = await startTestSessionServer({
    redisUrl: redis.url,
    env: { METRICS_PORT: "0", FORWARD_AUTH_PORT: "0", UPSTREAMS: `echo=${echo.origin}`, RATE_LIMIT_ACCOUNT_FAILURES: "2" },
  });
});
afterAll(async () => {
  await server?.close();
  await echo?.close();
  await redis?.stop();
});

async function current(): Promise<Sample[]> {
  const answer = await scrape(server.running.metricsUrl!);
  expect(answer.status).toBe(200);
  return parseExposition(answer.text).samples;
}

describe("where /metrics answers", () => {
  it("security 38: on METRICS_PORT, and there only /metrics; the main port and the forward-auth listener answer 404", async () => {
    const answer = await scrape(server.running.metricsUrl!);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const path of ["/", "/metrics/x", "/auth/session", "/healthz", "/api/echo/x"]) {
      expect((await request(`${server.running.metricsUrl}${path}`)).statusCode, path).toBe(404);
    }
    expect((await request(`${server.running.metricsUrl}/metrics`, { method: "POST" })).statusCode).toBe(405);
    for (const origin of [server.url, server.running.forwardAuthUrl!]) {
      const elsewhere = await scrape(origin);
      expect(elsewhere.status).toBe(404);
      expect(elsewhere.text).not.toContain("http_request_duration_seconds");
    }
  });

  it("security 38: METRICS_ALLOW opens it on the main port to a listed socket peer only; a forwarded address never does", async () => {
    const allowed = await startTestSessionServer({ env: { METRICS_ALLOW: "10.9.9.9, 127.0.0.0/8" } });
    const others = await startTestSessionServer({ env: { METRICS_ALLOW: "10.0.0.0/8", TRUST_PROXY: "true" } });
    try {
      const open = await scrape(allowed.url);
      expect(open.status).toBe(200);
      expect(parseExposition(open.text).types.get("http_request_duration_seconds")).toBe("histogram");
      expect(allowed.running.metricsUrl).toBeUndefined();
      // The peer is 127.0.0.1, outside 10.0.0.0/8: whatever a (trusted) proxy header claims.
      for (const headers of [{}, { "x-forwarded-for": "10.1.2.3" }, { "x-real-ip": "10.1.2.3", forwarded: "for=10.1.2.3" }]) {
        const response = await request(`${others.url}/metrics`, { headers });
        expect(response.statusCode).toBe(404);
        expect(await response.body.text()).not.toContain("http_request_duration_seconds");
      }
    } finally {
      await Promise.all([allowed.close(), others.close()]);
    }
  });
});

describe("what a scrape holds", () => {
  it("valid text exposition: HELP and TYPE before every family, every sample parses, and the process metrics are there", async () => {
    const { text } = await scrape(server.running.metricsUrl!);
    const { samples, types } = parseExposition(text);
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
    ]) {
      expect(
        samples.some((sample) => sample.name === name),
        name,
      ).toBe(true);
    }
    expect(
      Object.fromEntries(
        ["http_request_duration_seconds", "auth_logins_total", "auth_jwt_fetch_duration_seconds"].map((n) => [n, types.get(n)]),
      ),
    ).toEqual({
      http_request_duration_seconds: "histogram",
      auth_logins_total: "counter",
      auth_jwt_fetch_duration_seconds: "histogram",
    });
    // Every login result, rate limit and upstream class is there from the start (at 0), so alerts see it.
    for (const result of ["ok", "failed", "rate_limited"])
      expect(samples.some((s) => s.name === "auth_logins_total" && s.labels.result === result)).toBe(true);
  });

  it("counts move: requests by group and status, logins by result, JWT fetches, upstream classes, refusals and store errors", async () => {
    const before = await current();
    const client = server.client();
    const user = await signUp(client, "metrics");
    for (let i = 0; i < 3; i++) expect((await client.get("/auth/session")).status).toBe(200);
    expect((await server.client().post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(200);
    const outsider = server.client();
    for (const status of [401, 401, 429]) {
      expect((await outsider.post("/auth/login", { email: user.email, password: "wrong password" })).status).toBe(status);
    }
    for (const path of ["/api/echo/items", "/api/echo/redirect", "/api/echo/status/404", "/api/echo/status/503"])
      await apiGet(client, path);
    expect((await client.at(server.running.forwardAuthUrl!).get("/auth/verify")).status).toBe(200);
    expect((await server.client().get("/healthz")).status).toBe(200);
    await redis.kill();
    try {
      expect((await client.get("/auth/session")).status).toBe(503);
    } finally {
      await redis.restart();
    }
    const after = await current();
    const delta = (name: string, labels: Record<string, string> = {}): number => total(after, name, labels) - total(before, name, labels);

    expect({
      signups: delta("http_request_duration_seconds_count", { group: "auth", status: "201" }),
      sessionChecks: delta("http_request_duration_seconds_count", { group: "session_check", status: "200" }),
      sessionChecksRefused: delta("http_request_duration_seconds_count", { group: "session_check", status: "503" }),
      gateway: delta("http_request_duration_seconds_count", { group: "gateway" }),
      forwardAuth: delta("http_request_duration_seconds_count", { group: "forward_auth", status: "200" }),
      health: delta("http_request_duration_seconds_count", { group: "health", status: "200" }),
      loginsOk: delta("auth_logins_total", { result: "ok" }),
      loginsFailed: delta("auth_logins_total", { result: "failed" }),
      loginsLimited: delta("auth_logins_total", { result: "rate_limited" }),
      refusals: delta("auth_rate_limit_refusals_total", { limit: "account" }),
      jwtFetches: delta("auth_jwt_fetch_duration_seconds_count", { result: "ok" }),
      upstream: ["2xx", "3xx", "4xx", "5xx"].map((c) => delta("auth_gateway_upstream_responses_total", { class: c })),
      storeErrors: delta("auth_session_store_errors_total"),
    }).toEqual({
      signups: 1,
      sessionChecks: 3,
      sessionChecksRefused: 1,
      gateway: 4,
      forwardAuth: 1,
      health: 1,
      loginsOk: 1,
      loginsFailed: 2,
      loginsLimited: 1,
      refusals: 1,
      jwtFetches: 1,
      upstream: [1, 1, 1, 1],
      storeErrors: 1,
    });
    // Latency is recorded, not just counted.
    expect(delta("http_request_duration_seconds_sum", { group: "gateway" })).toBeGreaterThan(0);
    expect(delta("auth_jwt_fetch_duration_seconds_sum")).toBeGreaterThan(0);
    // The restarted Redis is back for whatever runs next.
    expect(await waitFor(async () => (await server.client().get("/readyz")).status === 200, 5_000)).toBe(true);
  });

  it("security 38: after a full scenario no label or value holds a token, e-mail, address, path or session id", async () => {
    const client = server.client();
    const user = await signUp(client, "metrics-secret");
    const cookie = client.jar.values().next().value!;
    const sid = sidOf(cookie);
    echo.reset();
    expect((await apiGet(client, "/api/echo/private/path-of-user")).status).toBe(200);
    const jwt = bearerOf(echo.requests[0]!);
    const refreshToken = (await openedPasswordSession(server, cookie)).refreshToken;
    await client.at(server.running.forwardAuthUrl!).get("/auth/verify");
    await server.client().post("/auth/login", { email: user.email, password: "wrong password" });
    expect((await client.post("/auth/logout")).status).toBe(204);

    const { text } = await scrape(server.running.metricsUrl!);
    for (const secret of [user.email, user.id, sid, cookie, jwt, refreshToken, PASSWORD, "127.0.0.1", "path-of-user", "/api/echo"]) {
      expect(text.includes(secret), secret.slice(0, 24)).toBe(false);
    }
    const allowed: Record<string, RegExp> = {
      group: /^(session_check|auth|gateway|forward_auth|health|metrics|other)$/,
      status: /^(\d{3}|aborted)$/,
      result: /^(ok|failed|rate_limited|rejected)$/,
      limit: /^(account|address)$/,
      class: /^[1-5]xx$/,
      le: /^(\d+(\.\d+)?|\+Inf)$/,
    };
    for (const sample of parseExposition(text).samples) {
      for (const [label, value] of Object.entries(sample.labels)) {
        // Our own labels from their fixed sets; the process metrics' own (space, kind, type, version) are short words.
        expect(value, `${sample.name}{${label}}`).toMatch(allowed[label] ?? /^[A-Za-z0-9_.]{1,40}$/);
      }
    }
  });
});
