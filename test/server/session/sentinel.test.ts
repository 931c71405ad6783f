// Redis Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME, REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD): a
// master, two replicas and three Sentinels on free ports. Failed over twice, once on request
// (`SENTINEL FAILOVER`) and once by killing the master, the server follows the new master by itself
// within seconds; meanwhile requests that need the store answer 503, never "signed out"; sessions,
// the JWT cache and the rate-limit counters survive, and new logins work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiGet, logIn, signUp, startEchoUpstream, type EchoUpstream } from "../../helpers/gateway.js";
import { startSentinelSetup, type SentinelSetup } from "../../helpers/redis-sentinel.js";
import { PASSWORD, startTestSessionServer, type CookieClient, type TestSessionServer } from "../../helpers/session-server.js";

let setup: SentinelSetup;
let echo: EchoUpstream;
let server: TestSessionServer;

beforeAll(async () => {
  setup = await startSentinelSetup();
  echo = await startEchoUpstream();
  server = await startTestSessionServer({ env: { ...setup.env, UPSTREAMS: `echo=${echo.origin}`, RATE_LIMIT_ACCOUNT_FAILURES: "3" } });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await echo?.close();
  await setup?.stop();
});

const masterChanges = (): number => server.logs().split('"event":"redis_master_change"').length - 1;

/**
 * Asks `client`'s session every 50 ms until the server has followed the new master (it logs each
 * switch) and answers signed in there; returns every answer seen meanwhile, and how long after
 * `since` that was.
 */
async function rideOut(client: CookieClient, since: number, changesBefore: number): Promise<{ answers: string[]; backAfterMs: number }> {
  const answers: string[] = [];
  for (;;) {
    const response = await client.get("/auth/session");
    const answer =
      response.status === 200 ? (response.body.authenticated ? "signed in" : "anonymous") : `${response.status} ${response.body.error}`;
    answers.push(answer);
    if (answer === "signed in" && masterChanges() > changesBefore) return { answers, backAfterMs: Date.now() - since };
    if (Date.now() - since > 20_000) return { answers, backAfterMs: Infinity };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("Redis Sentinel", () => {
  it("the server runs on the master the Sentinels name", async () => {
    expect(server.running.backend.kind).toBe("redis-sentinel");
    expect((await server.client().get("/readyz")).status).toBe(200);
  });

  it("fails over on SENTINEL FAILOVER and then on a killed master: sessions survive, requests meanwhile get 503 (never anonymous), the server follows within seconds, new logins work", async () => {
    const alice = server.client();
    const user = await signUp(alice, "sentinel");
    expect((await apiGet(alice, "/api/echo/items")).status).toBe(200);
    const fetchesBefore = server.running.jwtProvider.fetches;
    // Two failed logins on the shared counter (the limit is 3 failures).
    for (let i = 0; i < 2; i++)
      expect((await server.client().post("/auth/login", { email: user.email, password: "wrong" })).status).toBe(401);
    await setup.replicated();

    for (const how of ["SENTINEL FAILOVER", "the master killed"] as const) {
      const oldMaster = await setup.masterPort();
      // A session made just before this failover, on whichever master is current.
      const bob = server.client();
      await signUp(bob, "sentinel-bob");
      await setup.replicated();

      const changes = masterChanges();
      const started = Date.now();
      if (how === "SENTINEL FAILOVER") await setup.failover();
      else await setup.kill(oldMaster);
      const [ride] = await Promise.all([rideOut(alice, started, changes), setup.waitForNewMaster(oldMaster)]);

      // While the store was unreachable or switching: signed in or 503, never signed out.
      expect(new Set(ride.answers.filter((answer) => answer !== "signed in")), how).toSatisfy((others: Set<string>) =>
        [...others].every((answer) => answer === "503 session_store_unavailable"),
      );
      expect(ride.backAfterMs, `${how}: ${ride.answers.join(", ")}`).toBeLessThan(15_000);
      expect((await bob.get("/auth/session")).body.authenticated, how).toBe(true);
      // The gateway keeps working on the JWT cached before the switch.
      expect((await apiGet(alice, "/api/echo/items")).status, how).toBe(200);
      // New logins and signups go to the new master.
      const again = server.client();
      await logIn(again, user.email);
      expect((await again.get("/auth/session")).body.user.email, how).toBe(user.email);
      const carol = server.client();
      await signUp(carol, "sentinel-carol");
      expect((await carol.get("/auth/session")).body.authenticated, how).toBe(true);
      expect((await server.client().get("/readyz")).status, how).toBe(200);
    }
    expect(server.running.jwtProvider.fetches).toBe(fetchesBefore);
    // The failure counter survived both failovers: one more failure reaches the limit, the next is refused.
    expect((await server.client().post("/auth/login", { email: user.email, password: "wrong" })).status).toBe(401);
    expect((await server.client().post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(429);
    expect(masterChanges()).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
