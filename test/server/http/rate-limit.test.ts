// Login and signup throttling (design.md 429 rows, security 12): per account and per client address,
// 429 rate_limited with Retry-After and retryAfter, counters in the shared store, and lockouts that expire.
// TRUST_PROXY=1 lets each test speak from its own client address through X-Forwarded-For.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_MODES } from "../../helpers/auth-modes.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import {
  PASSWORD,
  sleep,
  startTestSessionServer,
  uniqueEmail,
  type CookieClient,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const ACCOUNT_FAILURES = 3;
const ADDRESS_FAILURES = 6;
/** Long enough that a slow machine never sees a window end in the middle of a test. */
const WINDOW_S = 60;
/** For the test that waits for a lockout to expire. */
const SHORT_WINDOW_S = 2;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

let addressCounter = 0;
/** A client that speaks from its own address (documentation range 198.51.100.0/24 and 203.0.113.0/24). */
function fromAddress(server: TestSessionServer): CookieClient {
  addressCounter += 1;
  const address = `203.0.113.${addressCounter % 250}`;
  return server.client({ headers: { "x-forwarded-for": `${address}` } });
}

function expectRateLimited(response: TestResponse, windowS = WINDOW_S): void {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({ error: "rate_limited", message: expect.any(String), retryAfter: expect.any(Number) });
  const retryAfter = Number(response.header("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBe(response.body.retryAfter);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowS);
  expect(response.header("cache-control")).toBe("no-store");
}

describe.each(STORE_MODES)("rate limits (%s store)", (store) => {
  let server: TestSessionServer;
  const env = {
    RATE_LIMIT_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES),
    RATE_LIMIT_ADDRESS_FAILURES: String(ADDRESS_FAILURES),
    RATE_LIMIT_WINDOW: `${WINDOW_S}s`,
    TRUST_PROXY: "1",
  };

  beforeAll(async () => {
    server = await startTestSessionServer({ redisUrl: store === "redis" ? redis.url : undefined, env });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function account(): Promise<string> {
    const email = uniqueEmail(`rl-${store}`);
    expect((await fromAddress(server).post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    return email;
  }

  it("login: 429 rate_limited with Retry-After and retryAfter after RATE_LIMIT_ACCOUNT_FAILURES failures, even with the right password", async () => {
    const email = await account();
    for (let i = 0; i < ACCOUNT_FAILURES; i++) {
      // Each attempt from another address: the account limit counts them together.
      expect((await fromAddress(server).post("/auth/login", { email, password: `wrong ${i}` })).status).toBe(401);
    }
    expectRateLimited(await fromAddress(server).post("/auth/login", { email, password: "wrong again" }));
    const rightPassword = await fromAddress(server).post("/auth/login", { email, password: PASSWORD });
    expectRateLimited(rightPassword);
    expect(rightPassword.setCookie).toEqual([]);
    // The account key is the normalised e-mail: case and spaces do not reset it.
    expectRateLimited(await fromAddress(server).post("/auth/login", { email: `  ${email.toUpperCase()} `, password: PASSWORD }));
  });

  it("a lockout expires after RATE_LIMIT_WINDOW", async () => {
    const short = await startTestSessionServer({
      redisUrl: store === "redis" ? redis.url : undefined,
      env: { ...env, RATE_LIMIT_ACCOUNT_FAILURES: "2", RATE_LIMIT_WINDOW: `${SHORT_WINDOW_S}s` },
    });
    try {
      const email = uniqueEmail("expiry");
      expect((await short.client().post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
      // Sent together, so the window cannot run out between them.
      const failures = await Promise.all([1, 2].map((i) => fromAddress(short).post("/auth/login", { email, password: `wrong ${i}` })));
      expect(failures.map((r) => r.status)).toEqual([401, 401]);
      const limited = await fromAddress(short).post("/auth/login", { email, password: PASSWORD });
      expectRateLimited(limited, SHORT_WINDOW_S);
      await sleep(limited.body.retryAfter * 1000 + 100);
      const c = fromAddress(short);
      expect((await c.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
      expect((await c.get("/auth/session")).body.authenticated).toBe(true);
    } finally {
      await short.close();
    }
  });

  it("an unknown e-mail is limited exactly like a real account (no enumeration through 429)", async () => {
    const real = await account();
    const unknown = uniqueEmail("nobody");
    const answers: Record<string, TestResponse[]> = { real: [], unknown: [] };
    for (let i = 0; i <= ACCOUNT_FAILURES; i++) {
      answers.real!.push(await fromAddress(server).post("/auth/login", { email: real, password: "wrong" }));
      answers.unknown!.push(await fromAddress(server).post("/auth/login", { email: unknown, password: "wrong" }));
    }
    expect(answers.real!.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(answers.unknown!.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(Object.keys(answers.unknown![3]!.headers).sort()).toEqual(Object.keys(answers.real![3]!.headers).sort());
  });

  it("successful logins do not count towards the limit", async () => {
    const email = await account();
    for (let i = 0; i < ACCOUNT_FAILURES + 2; i++) {
      expect((await fromAddress(server).post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
    }
  });

  it("per client address: failures on many accounts from one address are limited, another address is not", async () => {
    const address = fromAddress(server);
    for (let i = 0; i < ADDRESS_FAILURES; i++) {
      expect((await address.post("/auth/login", { email: uniqueEmail("spray"), password: "wrong" })).status).toBe(401);
    }
    expectRateLimited(await address.post("/auth/login", { email: uniqueEmail("spray"), password: "wrong" }));
    // Signup shares the address counter.
    expectRateLimited(await address.post("/auth/signup", { email: uniqueEmail("spray"), password: PASSWORD }));
    expect((await fromAddress(server).post("/auth/login", { email: uniqueEmail("spray"), password: "wrong" })).status).toBe(401);
  });

  it("signup: 422 failures from one address lead to 429 rate_limited", async () => {
    const address = fromAddress(server);
    for (let i = 0; i < ADDRESS_FAILURES; i++) {
      expect((await address.post("/auth/signup", { email: `bad-${i}`, password: PASSWORD })).status).toBe(422);
    }
    const limited = await address.post("/auth/signup", { email: uniqueEmail(), password: PASSWORD });
    expectRateLimited(limited);
    expect(limited.setCookie).toEqual([]);
  });
});

describe("rate limits across instances sharing Redis (security 12)", () => {
  it("a lockout made on one instance holds on the other", async () => {
    const env = { RATE_LIMIT_ACCOUNT_FAILURES: "2", RATE_LIMIT_WINDOW: "30s" };
    const first = await startTestSessionServer({ redisUrl: redis.url, env });
    const second = await startTestSessionServer({ redisUrl: redis.url, env });
    try {
      const email = `shared.${randomBytes(4).toString("hex")}@example.org`;
      expect((await first.client().post("/auth/login", { email, password: "wrong" })).status).toBe(401);
      expect((await second.client().post("/auth/login", { email, password: "wrong" })).status).toBe(401);
      expect((await first.client().post("/auth/login", { email, password: "wrong" })).status).toBe(429);
      expect((await second.client().post("/auth/login", { email, password: "wrong" })).status).toBe(429);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
