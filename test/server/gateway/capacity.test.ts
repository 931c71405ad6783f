// One signed-in user cannot make an upstream unavailable to everyone else (security.md 22; the
// outside attack run's finding 3): calls whose client has gone are aborted upstream at once, every
// call ends within UPSTREAM_TIMEOUT_MS of its last sign of life (a stalled upload, a call queued for
// a pooled connection), and a session, and an upstream, may only have so many calls in flight.
import net from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { apiGet, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startTestSessionServer, waitFor, type CookieClient, type TestSessionServer } from "../../helpers/session-server.js";

const TIMEOUT_MS = 1_500;
const PER_SESSION = 32;

let echo: EchoUpstream;
let server: TestSessionServer;
let host: string;

beforeAll(async () => {
  echo = await startEchoUpstream();
  server = await startTestSessionServer({
    env: {
      UPSTREAMS: `echo=${echo.origin}/base`,
      UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
      GATEWAY_MAX_CALLS_PER_SESSION: String(PER_SESSION),
    },
  });
  host = new URL(server.url).host;
});
afterAll(async () => {
  await server?.close();
  await echo?.close();
});
beforeEach(() => echo.reset());

/** Requests that reached the upstream and have neither ended nor been closed. */
const openUpstreamRequests = (): number => echo.arrivals - echo.requests.length;

async function member(tag: string): Promise<CookieClient> {
  const client = server.client();
  await signUp(client, tag);
  return client;
}

/** Opens a connection, writes `head` plus `start` of a body, and keeps it open; resolves the first status it gets (0 if closed without one). */
function slowUpload(client: CookieClient, head: string, start: string): { status: Promise<number>; socket: net.Socket } {
  const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1");
  socket.write(`${head}\r\nHost: ${host}\r\nX-CSRF: 1\r\nCookie: ${client.cookieHeader()}\r\n\r\n${start}`);
  const status = new Promise<number>((resolve) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    socket.on("close", () => resolve(0));
    socket.on("error", () => resolve(0));
  });
  return { status, socket };
}

describe("gateway capacity", () => {
  it("150 stalled uploads from one user: past its in-flight cap they get 429 at once, another user's call is answered, the stalled ones end in 504", async () => {
    const attacker = await member("attacker");
    const victim = await member("victim");
    const uploads = Array.from({ length: 150 }, () =>
      slowUpload(attacker, "POST /api/echo/upload HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000", "abc"),
    );
    await waitFor(async () => echo.arrivals >= PER_SESSION, 5_000, 20);
    const answer = await apiGet(victim, "/api/echo/victim");
    expect(answer.status).toBe(200);
    const statuses = await Promise.all(uploads.map((upload) => upload.status));
    for (const upload of uploads) upload.socket.destroy();
    expect(statuses.filter((s) => s === 429)).toHaveLength(150 - PER_SESSION);
    expect(statuses.filter((s) => s === 504)).toHaveLength(PER_SESSION);
    expect(await waitFor(async () => openUpstreamRequests() === 0, 2_000, 20)).toBe(true);
  });

  it("429 past GATEWAY_MAX_CALLS_PER_SESSION carries Retry-After and the error shape; the session's next call works once the others are done", async () => {
    const client = await member("busy");
    const hangs = Array.from({ length: PER_SESSION }, () => apiGet(client, "/api/echo/hang"));
    await waitFor(async () => echo.arrivals >= PER_SESSION, 5_000, 20);
    const refused = await apiGet(client, "/api/echo/one-more");
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: "rate_limited", message: expect.any(String), retryAfter: 1 });
    expect(refused.header("retry-after")).toBe("1");
    expect((await Promise.all(hangs)).every((r) => r.status === 504)).toBe(true);
    expect((await apiGet(client, "/api/echo/again")).status).toBe(200);
  });

  it("300 chunked uploads that send a chunk, then garbage, then hang up leave no upstream request open", async () => {
    const attacker = await member("garbage");
    for (let batch = 0; batch < 10; batch++) {
      const uploads = Array.from({ length: 30 }, () =>
        slowUpload(
          attacker,
          "POST /api/echo/upload HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
          "3\r\nabc\r\nzz-not-a-chunk\r\n",
        ),
      );
      await Promise.all(uploads.map((upload) => upload.status));
      for (const upload of uploads) upload.socket.destroy();
    }
    expect(echo.arrivals).toBeGreaterThan(0);
    expect(await waitFor(async () => openUpstreamRequests() === 0, 2_000, 20)).toBe(true);
  });

  it("uploads whose client hangs up mid-body are aborted upstream at once, not at the timeout", async () => {
    const attacker = await member("hangup");
    const uploads = Array.from({ length: 20 }, () =>
      slowUpload(attacker, "POST /api/echo/upload HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000", "abc"),
    );
    await waitFor(async () => echo.arrivals >= 20, 5_000, 20);
    const gone = Date.now();
    for (const upload of uploads) upload.socket.destroy();
    expect(await waitFor(async () => openUpstreamRequests() === 0, TIMEOUT_MS, 10)).toBe(true);
    expect(Date.now() - gone).toBeLessThan(TIMEOUT_MS);
  });

  it("calls queued for a pooled connection end in 504 within UPSTREAM_TIMEOUT_MS too, and the upstream serves again after", async () => {
    // 5 sessions x 26 hanging calls: 130, two more than the pool's 128 connections.
    const members = await Promise.all(Array.from({ length: 5 }, (_, i) => member(`pool${i}`)));
    const started = Date.now();
    const calls = members.flatMap((client) => Array.from({ length: 26 }, () => apiGet(client, "/api/echo/hang")));
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.status)).toEqual(Array(130).fill(504));
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 3);
    expect((await apiGet(members[0]!, "/api/echo/after")).status).toBe(200);
  });
});

describe("GATEWAY_MAX_CALLS_PER_UPSTREAM", () => {
  it("bounds the calls in flight and queued for one upstream, all sessions together: 429 past it", async () => {
    const capped = await startTestSessionServer({
      env: { UPSTREAMS: `echo=${echo.origin}/base`, UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS), GATEWAY_MAX_CALLS_PER_UPSTREAM: "10" },
    });
    try {
      const clients = [capped.client(), capped.client()];
      for (const client of clients) await signUp(client, "capped");
      const answers = await Promise.all(clients.flatMap((client) => Array.from({ length: 8 }, () => apiGet(client, "/api/echo/hang"))));
      expect(answers.filter((a) => a.status === 429)).toHaveLength(6);
      expect(answers.filter((a) => a.status === 504)).toHaveLength(10);
    } finally {
      await capped.close();
    }
  });

  it("calls whose client hung up before they reached the upstream give their place back: the next session's call is answered, not 429", async () => {
    // Each fresh session's first call waits for its JWT from the auth service; the client is gone by
    // then. Such a call used to be forwarded all the same, its answer paused for good on the closed
    // response, and its place in both caps never given back: three of them filled this upstream.
    const capped = await startTestSessionServer({
      env: { UPSTREAMS: `echo=${echo.origin}/base`, UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS), GATEWAY_MAX_CALLS_PER_UPSTREAM: "3" },
    });
    try {
      const port = Number(new URL(capped.url).port);
      for (let i = 0; i < 6; i++) {
        const client = capped.client();
        await signUp(client, `gone${i}`);
        const socket = net.connect(port, "127.0.0.1");
        await new Promise((resolve) => socket.once("connect", resolve));
        socket.end(`GET /api/echo/gone${i} HTTP/1.1\r\nHost: ${host}\r\nX-CSRF: 1\r\nCookie: ${client.cookieHeader()}\r\n\r\n`);
        socket.destroy();
      }
      const late = capped.client();
      await signUp(late, "late");
      const answer = await waitFor(async () => (await apiGet(late, "/api/echo/late")).status === 200, TIMEOUT_MS, 50);
      expect(answer, "the upstream's calls in flight stay taken by callers that are gone").toBe(true);
    } finally {
      await capped.close();
    }
  });
});
