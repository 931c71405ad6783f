// Issue 6, rate limits (security 12 with 11): failures are limited per account and per client
// address, with 429 rate_limited, `Retry-After` and `retryAfter`; the counters live in Redis and are
// shared by two session-server instances on it; the lockout expires after RATE_LIMIT_WINDOW; without
// TRUST_PROXY a spoofed X-Forwarded-For cannot change the address key; and a known and an unknown
// account are indistinguishable by status, body and headers, both before and after the lockout.
import { createClient } from "redis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { signUp } from "../../helpers/gateway.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  PASSWORD,
  sleep,
  startTestSessionServer,
  uniqueEmail,
  type CookieClient,
  type Env,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const ACCOUNT_FAILURES = 3;
const ADDRESS_FAILURES = 8;
const WINDOW_S = 2;

let redis: RedisServer;
let legacy: LegacyAuthService;
let flusher: ReturnType<typeof createClient>;

beforeAll(async () => {
  redis = await startRedisServer();
  legacy = await startLegacyAuthService({ loginFailureStatus: 401 });
  flusher = createClient({ url: redis.url });
  await flusher.connect();
});
afterAll(async () => {
  await flusher?.close();
  await legacy?.close();
  await redis?.stop();
});
// Every test starts with no counters (all clients share 127.0.0.1).
beforeEach(async () => {
  await flusher.flushAll();
});

/** Two instances on one Redis, same secret, same limits. */
async function pair(env: Env): Promise<[TestSessionServer, TestSessionServer]> {
  const options = {
    redisUrl: redis.url,
    authService: legacy.url,
    sessionSecret: "rate-limit-pair-secret-0123456789abcdef",
    env: {
      RATE_LIMIT_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES),
      RATE_LIMIT_ADDRESS_FAILURES: String(ADDRESS_FAILURES),
      RATE_LIMIT_WINDOW: `${WINDOW_S}s`,
      ...env,
    },
  };
  return Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
}

function expectLimited(response: TestResponse): void {
  expect(response.status, response.text).toBe(429);
  expect(response.body).toEqual({ error: "rate_limited", message: expect.any(String), retryAfter: expect.any(Number) });
  expect(response.header("retry-after")).toBe(String(response.body.retryAfter));
  expect(response.body.retryAfter).toBeGreaterThanOrEqual(1);
  expect(response.body.retryAfter).toBeLessThanOrEqual(WINDOW_S);
  expect(response.setCookie).toEqual([]);
}

/** Everything a client could compare: status, body, header names and values (Date aside; Retry-After within a second). */
function comparable(response: TestResponse): { status: number; body: unknown; headers: Record<string, unknown> } {
  const { date: _date, "retry-after": retryAfter, ...headers } = response.headers;
  const body = { ...(response.body as Record<string, unknown>) };
  if (typeof body.retryAfter === "number") body.retryAfter = "n";
  return { status: response.status, body, headers: { ...headers, ...(retryAfter === undefined ? {} : { "retry-after": "n" }) } };
}

describe("rate limits across two instances sharing one Redis", () => {
  let a: TestSessionServer;
  let b: TestSessionServer;
  beforeAll(async () => {
    [a, b] = await pair({});
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it(
    "per account: failures on either instance count together, both answer 429 with Retry-After, and the lockout expires",
    { timeout: 20_000 },
    async () => {
      const { email } = await signUp(a.client(), "rl-acct");
      for (let i = 0; i < ACCOUNT_FAILURES; i++) {
        const server = i % 2 === 0 ? a : b;
        expect((await server.client().post("/auth/login", { email, password: `wrong ${i}` })).status).toBe(401);
      }
      expectLimited(await a.client().post("/auth/login", { email, password: PASSWORD }));
      const limited = await b.client().post("/auth/login", { email, password: PASSWORD });
      expectLimited(limited);
      // Other accounts from the same address are not affected by this account's lockout.
      const { email: otherEmail } = await signUp(b.client(), "rl-other");
      expect((await a.client().post("/auth/login", { email: otherEmail, password: PASSWORD })).status).toBe(200);

      await sleep(limited.body.retryAfter * 1000 + 250);
      const c = b.client();
      expect((await c.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
      expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    },
  );

  it(
    "no enumeration: a known and an unknown account get the same status, body and headers, before and after the lockout",
    { timeout: 20_000 },
    async () => {
      const { email: known } = await signUp(a.client(), "rl-known");
      const unknown = uniqueEmail("rl-unknown");
      const answers: Record<"known" | "unknown", TestResponse[]> = { known: [], unknown: [] };
      for (let i = 0; i <= ACCOUNT_FAILURES; i++) {
        const server = i % 2 === 0 ? a : b;
        answers.known.push(await server.client().post("/auth/login", { email: known, password: "wrong password" }));
        answers.unknown.push(await server.client().post("/auth/login", { email: unknown, password: "wrong password" }));
      }
      expect(answers.known.map((r) => r.status)).toEqual([401, 401, 401, 429]);
      expect(answers.unknown.map((r) => r.status)).toEqual([401, 401, 401, 429]);
      answers.known.forEach((response, i) => expect(comparable(answers.unknown[i]!)).toEqual(comparable(response)));
      expect(Math.abs(answers.known[3]!.body.retryAfter - answers.unknown[3]!.body.retryAfter)).toBeLessThanOrEqual(1);
      // No rate-limit headers that would count down differently for real accounts.
      for (const response of [...answers.known, ...answers.unknown]) {
        expect(Object.keys(response.headers).filter((name) => /ratelimit/i.test(name))).toEqual([]);
      }
    },
  );

  it(
    "per address: failures on many accounts from one address, spread over both instances, lock that address out on both until the window ends",
    { timeout: 20_000 },
    async () => {
      for (let i = 0; i < ADDRESS_FAILURES; i++) {
        const server = i % 2 === 0 ? a : b;
        expect((await server.client().post("/auth/login", { email: uniqueEmail("spray"), password: "wrong" })).status).toBe(401);
      }
      expectLimited(await a.client().post("/auth/login", { email: uniqueEmail("spray"), password: "wrong" }));
      const limited = await b.client().post("/auth/signup", { email: uniqueEmail("spray"), password: PASSWORD });
      expectLimited(limited);
      await sleep(limited.body.retryAfter * 1000 + 250);
      expect((await a.client().post("/auth/login", { email: uniqueEmail("spray"), password: "wrong" })).status).toBe(401);
    },
  );
});

describe("the client address behind proxies (TRUST_PROXY)", () => {
  it("without TRUST_PROXY a spoofed X-Forwarded-For does not change the rate-limit key", { timeout: 20_000 }, async () => {
    const [a, b] = await pair({});
    try {
      let n = 0;
      const spoofed = (server: TestSessionServer): CookieClient => server.client({ headers: { "x-forwarded-for": `198.51.100.${++n}` } });
      for (let i = 0; i < ADDRESS_FAILURES; i++) {
        expect((await spoofed(i % 2 === 0 ? a : b).post("/auth/login", { email: uniqueEmail("xff"), password: "wrong" })).status).toBe(401);
      }
      expectLimited(await spoofed(a).post("/auth/login", { email: uniqueEmail("xff"), password: "wrong" }));
      expectLimited(await spoofed(b).post("/auth/login", { email: uniqueEmail("xff"), password: "wrong" }));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("with TRUST_PROXY=1 each forwarded client address has its own counter, shared by both instances", { timeout: 20_000 }, async () => {
    const [a, b] = await pair({ TRUST_PROXY: "1" });
    try {
      const from = (server: TestSessionServer, address: string): CookieClient => server.client({ headers: { "x-forwarded-for": address } });
      for (let i = 0; i < ADDRESS_FAILURES; i++) {
        expect(
          (await from(i % 2 === 0 ? a : b, "203.0.113.7").post("/auth/login", { email: uniqueEmail("tp"), password: "wrong" })).status,
        ).toBe(401);
      }
      expectLimited(await from(b, "203.0.113.7").post("/auth/login", { email: uniqueEmail("tp"), password: "wrong" }));
      expectLimited(await from(a, "203.0.113.7").post("/auth/login", { email: uniqueEmail("tp"), password: "wrong" }));
      expect((await from(a, "203.0.113.8").post("/auth/login", { email: uniqueEmail("tp"), password: "wrong" })).status).toBe(401);
      // The proxy's own hop is what counts: a client prepending a fake address cannot escape its own.
      expectLimited(await from(b, "192.0.2.1, 203.0.113.7").post("/auth/login", { email: uniqueEmail("tp"), password: "wrong" }));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
