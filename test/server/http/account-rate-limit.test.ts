// Security 28 and 30, the rate limits of the account lifecycle: reset and resend per account (RATE_LIMIT_RESET_PER_ACCOUNT,
// the two together, counted alike for known and unknown e-mails) and per address; refused link tokens per address; a
// wrong current password on the login counters, so re-authentication is no way around the login limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import { PASSWORD, startTestSessionServer, uniqueEmail, type TestResponse, type TestSessionServer } from "../../helpers/session-server.js";

let redis: RedisServer;
let legacy: LegacyAuthService;
beforeAll(async () => {
  [redis, legacy] = await Promise.all([startRedisServer(), startLegacyAuthService()]);
});
afterAll(async () => {
  await legacy?.close();
  await redis?.stop();
});

function expectRateLimited(response: TestResponse): void {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({ error: "rate_limited", message: expect.any(String), retryAfter: expect.any(Number) });
  expect(Number(response.header("retry-after"))).toBeGreaterThan(0);
}

describe.each([
  { store: "embedded", auth: "reference" },
  { store: "redis", auth: "legacy" },
] as const)("account rate limits ($store store, $auth auth service)", (mode) => {
  const servers: TestSessionServer[] = [];
  async function start(env: Record<string, string>): Promise<TestSessionServer> {
    const server = await startTestSessionServer({
      redisUrl: mode.store === "redis" ? redis.url : undefined,
      authService: mode.auth === "legacy" ? legacy.url : undefined,
      env: { ...(mode.auth === "legacy" ? { AUTH_FEATURES: "password-reset,email-verification,password-change" } : {}), ...env },
    });
    servers.push(server);
    // Each test counts from zero: the servers of this file share one Redis, and every client is 127.0.0.1.
    for (const prefix of ["rl:addr:", "rl:mail-addr:", "rl:token-addr:"]) await server.running.backend.kv.delete(`${prefix}127.0.0.1`);
    return server;
  }
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it("security 28: reset and resend are limited per account after RATE_LIMIT_RESET_PER_ACCOUNT requests, known or unknown alike", async () => {
    const server = await start({ RATE_LIMIT_RESET_PER_ACCOUNT: "3" });
    const known = uniqueEmail("limit-known");
    expect((await server.client().post("/auth/signup", { email: known, password: PASSWORD })).status).toBe(201);
    const unknown = uniqueEmail("limit-unknown");
    const answers: Record<string, TestResponse[]> = { [known]: [], [unknown]: [] };
    for (const email of [known, unknown]) {
      for (const path of ["/auth/password-reset", "/auth/email-verification/resend", "/auth/password-reset", "/auth/password-reset"]) {
        answers[email]!.push(await server.client().post(path, { email: email.toUpperCase() }));
      }
    }
    for (const email of [known, unknown]) {
      expect(answers[email]!.map((a) => a.status)).toEqual([202, 202, 202, 429]);
      expectRateLimited(answers[email]![3]!);
    }
    expect(answers[known]![3]!.text).toBe(
      answers[unknown]![3]!.text.replace(/"retryAfter":\d+/, `"retryAfter":${answers[known]![3]!.body.retryAfter}`),
    );
    expectRateLimited(await server.client().post("/auth/email-verification/resend", { email: known }));
    // Another account is not affected.
    expect((await server.client().post("/auth/password-reset", { email: uniqueEmail("other") })).status).toBe(202);
  });

  it("security 28: reset and resend from one address are limited per address, across accounts", async () => {
    const server = await start({ RATE_LIMIT_ADDRESS_FAILURES: "4", RATE_LIMIT_RESET_PER_ACCOUNT: "100" });
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const path = i % 2 === 0 ? "/auth/password-reset" : "/auth/email-verification/resend";
      statuses.push((await server.client().post(path, { email: uniqueEmail("addr") })).status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429]);
    expectRateLimited(await server.client().post("/auth/password-reset", { email: uniqueEmail("addr") }));
  });

  it("security 28: refused reset and verification tokens from one address are limited (token guessing)", async () => {
    const server = await start({ RATE_LIMIT_ADDRESS_FAILURES: "3" });
    const c = server.client();
    const statuses = [];
    for (let i = 0; i < 2; i++)
      statuses.push((await c.post("/auth/password-reset/confirm", { token: `guess${i}`, password: PASSWORD })).status);
    statuses.push((await c.post("/auth/email-verification", { token: "guess-v" })).status);
    expect(statuses).toEqual([400, 400, 400]);
    expectRateLimited(await c.post("/auth/password-reset/confirm", { token: "guess-last", password: PASSWORD }));
    expectRateLimited(await c.post("/auth/email-verification", { token: "guess-last" }));
  });

  it("security 30: a wrong current password counts toward the login rate limit of the account, and the lockout holds for both", async () => {
    const server = await start({ RATE_LIMIT_ACCOUNT_FAILURES: "3" });
    const c = server.client();
    const email = uniqueEmail("reauth");
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const wrong = await c.post("/auth/password", { currentPassword: `wrong ${i}`, newPassword: "another good password" });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error).toBe("invalid_credentials");
    }
    expect((await server.client().post("/auth/login", { email, password: "wrong at login" })).status).toBe(401);
    // Three failures together: the account is locked out, at login and for re-authentication, even with the right password.
    expectRateLimited(await server.client().post("/auth/login", { email, password: PASSWORD }));
    expectRateLimited(await c.post("/auth/password", { currentPassword: PASSWORD, newPassword: "another good password" }));
    // The password did not change.
    expect((await c.get("/auth/session")).body.authenticated).toBe(true);
  });

  it("security 30: the right current password is needed, and a successful change does not count as a failure", async () => {
    const server = await start({ RATE_LIMIT_ACCOUNT_FAILURES: "2" });
    const c = server.client();
    const email = uniqueEmail("reauth-ok");
    expect((await c.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    expect((await c.post("/auth/password", { currentPassword: "", newPassword: "another good password" })).status).toBe(403);
    expect((await c.post("/auth/password", { currentPassword: PASSWORD, newPassword: "another good password" })).status).toBe(204);
    expect(
      (await c.post("/auth/password", { currentPassword: "another good password", newPassword: "a third good password" })).status,
    ).toBe(204);
    expect((await server.client().post("/auth/login", { email, password: "a third good password" })).status).toBe(200);
  });
});
