// Security 29 and 31 on two instances sharing one Redis, against an external auth service with AUTH_FEATURES set
// (the reference service started on its own, and the 2019-dialect fixture with the extensions): a completed reset
// on one instance ends every other session of the user at once on both; so does a password change unless
// signOutOthers is false; DELETE /auth/sessions/<id> on one ends that session on the other; public ids agree.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthService, type RunningAuthService } from "../../../server/auth-service/index.js";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { devMailbox, legacyMailbox, type Mailbox } from "../../helpers/mailbox.js";
import { startRedisServer, type RedisServer } from "../../helpers/redis-server.js";
import { PASSWORD, uniqueEmail, startTestSessionServer, type CookieClient, type TestSessionServer } from "../../helpers/session-server.js";

const APP = "http://app.example.test";
const NEW_PASSWORD = "a fresh and long passphrase";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(["reference", "legacy"] as const)("two instances on one Redis, external %s auth service with AUTH_FEATURES", (kind) => {
  let a: TestSessionServer;
  let b: TestSessionServer;
  let reference: RunningAuthService | undefined;
  let legacy: LegacyAuthService | undefined;
  let mailDir = "";
  let mailbox: Mailbox;

  beforeAll(async () => {
    if (kind === "reference") {
      mailDir = await mkdtemp(path.join(tmpdir(), "ae-scale-mail-"));
      reference = await startAuthService({ dataDir: mailDir, linkOrigins: [APP], log: () => undefined });
      mailbox = devMailbox(path.join(mailDir, "mail"));
    } else {
      legacy = await startLegacyAuthService({ linkOrigins: [APP] });
      mailbox = legacyMailbox(legacy);
    }
    const options = {
      redisUrl: redis.url,
      authService: reference?.url ?? legacy!.url,
      sessionSecret: "account-scale-out-shared-secret-0123456789",
      env: {
        AUTH_FEATURES: "password-reset,email-verification,password-change",
        PASSWORD_RESET_URL: `${APP}/reset-password`,
        EMAIL_VERIFICATION_URL: `${APP}/verify-email`,
      },
    };
    [a, b] = await Promise.all([startTestSessionServer(options), startTestSessionServer(options)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await reference?.close();
    await legacy?.close();
    if (mailDir) await rm(mailDir, { recursive: true, force: true });
  });

  /** The same browser's cookies, sent to another instance (a load balancer's choice). */
  function on(server: TestSessionServer, from: CookieClient): CookieClient {
    const c = server.client();
    for (const [name, value] of from.jar) c.jar.set(name, value);
    return c;
  }
  async function signedInOn(server: TestSessionServer, email: string, password = PASSWORD): Promise<CookieClient> {
    const c = server.client();
    expect((await c.post("/auth/login", { email, password })).status).toBe(200);
    return c;
  }
  async function expectSignedOutEverywhere(browser: CookieClient): Promise<void> {
    for (const server of [a, b]) expect((await on(server, browser).get("/auth/session")).body).toEqual({ authenticated: false });
  }

  it("security 29: a completed reset on one instance ends every other session of the user at once, on both instances", async () => {
    const email = uniqueEmail(`scale-reset-${kind}`);
    const first = a.client();
    expect((await first.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    const onB = await signedInOn(b, email);
    for (const browser of [first, onB])
      for (const server of [a, b]) expect((await on(server, browser).get("/auth/session")).body.authenticated).toBe(true);

    const resetter = b.client();
    expect((await resetter.post("/auth/password-reset", { email })).status).toBe(202);
    const mail = await mailbox.next(email, "reset");
    expect(mail.link.startsWith(`${APP}/reset-password?token=`)).toBe(true);
    const confirmed = await resetter.post("/auth/password-reset/confirm", { token: mail.token, password: NEW_PASSWORD });
    expect(confirmed.status).toBe(200);
    await expectSignedOutEverywhere(first);
    await expectSignedOutEverywhere(onB);
    for (const server of [a, b]) expect((await on(server, resetter).get("/auth/session")).body).toMatchObject({ authenticated: true });
  });

  it("security 29: a password change on one instance ends the other sessions on both, unless signOutOthers is false", async () => {
    const email = uniqueEmail(`scale-change-${kind}`);
    const changer = a.client();
    expect((await changer.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    const other = await signedInOn(b, email);
    expect(
      (await changer.post("/auth/password", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, signOutOthers: false })).status,
    ).toBe(204);
    for (const server of [a, b]) expect((await on(server, other).get("/auth/session")).body.authenticated).toBe(true);

    expect((await on(b, changer).post("/auth/password", { currentPassword: NEW_PASSWORD, newPassword: `${NEW_PASSWORD}!` })).status).toBe(
      204,
    );
    await expectSignedOutEverywhere(other);
    for (const server of [a, b]) expect((await on(server, changer).get("/auth/session")).body.authenticated).toBe(true);
  });

  it("security 31: DELETE /auth/sessions/<id> on one instance ends that session on the other; both list the same public ids", async () => {
    const email = uniqueEmail(`scale-delete-${kind}`);
    const mine = a.client();
    expect((await mine.post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    const other = await signedInOn(b, email);
    const fromA = (await mine.get("/auth/sessions")).body.sessions as Array<{ id: string; current: boolean }>;
    const fromB = (await on(b, mine).get("/auth/sessions")).body.sessions as Array<{ id: string; current: boolean }>;
    expect(fromB).toEqual(
      fromA.map((s) => ({ ...s, lastSeenAt: expect.any(String) })).map(({ id, current }) => expect.objectContaining({ id, current })),
    );
    const otherId = fromA.find((s) => !s.current)!.id;
    expect((await mine.request("DELETE", `/auth/sessions/${otherId}`)).status).toBe(204);
    await expectSignedOutEverywhere(other);
    expect((await on(b, mine).get("/auth/sessions")).body.sessions).toHaveLength(1);
  });
});
