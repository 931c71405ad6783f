// The reference auth service's account lifecycle over real HTTP (auth-api-contract.md, extensions 5-7): reset links on
// the forgot-password bundle's routes, mailed over a real SMTP server started here (parsed, link followed) or written
// to the dev mailbox; link tokens random, hashed at rest, single use, expiring, only for LINK_ORIGINS; e-mail
// verification in the login answer, the JWT call and the JWT; the merge-patch password change.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthService, type AuthServiceOptions, type RunningAuthService } from "../../../server/auth-service/index.js";
import { devMailbox, startSmtpServer, type TestSmtpServer } from "../../helpers/mailbox.js";
import { uniqueEmail } from "../../helpers/session-server.js";

const PASSWORD = "correct horse battery";
const SITE = "https://app.example.test";
const RESET_URL = `${SITE}/reset-password`;
const VERIFY_URL = `${SITE}/verify-email`;

const dirs: string[] = [];
const services: RunningAuthService[] = [];
afterAll(async () => {
  await Promise.all(services.map((service) => service.close()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function start(options: Partial<AuthServiceOptions> = {}): Promise<{ service: RunningAuthService; dataDir: string; logs: string[] }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "auth-account-test-"));
  dirs.push(dataDir);
  const logs: string[] = [];
  const service = await startAuthService({ dataDir, linkOrigins: [SITE], log: (line) => logs.push(line), ...options });
  services.push(service);
  return { service, dataDir, logs };
}

function api(service: RunningAuthService) {
  const call = (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(service.url + route, {
      method,
      headers: { accept: "application/ld+json", ...(body !== undefined ? { "content-type": "application/ld+json" } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    call,
    async signup(email = uniqueEmail("ref"), extra: Record<string, unknown> = {}) {
      const response = await call("POST", "/api/users", { email, password: PASSWORD, ...extra });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { id: string };
      return { email, id: body.id };
    },
    async login(email: string, password = PASSWORD) {
      return call("POST", "/api/refresh_tokens", { email, password });
    },
  };
}

describe("password reset mailed over a real SMTP server", () => {
  let smtp: TestSmtpServer;
  let service: RunningAuthService;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    ({ service } = await start({ smtpUrl: smtp.url, mailFrom: "Example <no-reply@example.test>" }));
  });
  afterAll(async () => {
    await smtp?.close();
  });

  it("mails the reset link over SMTP in plain text and HTML, in the asked language; following it sets the password once", async () => {
    const { call, signup, login } = api(service);
    const { email } = await signup();
    const asked = await call("POST", "/forgot-password/", { email, resetUrl: RESET_URL }, { "accept-language": "nl-BE,nl;q=0.9,en;q=0.5" });
    expect(asked.status).toBe(204);
    const mail = await smtp.mailbox.next(email, "reset");
    const message = smtp.messages.find((m) => m.to.includes(email))!;
    expect(message.from).toBe("no-reply@example.test");
    expect(message.subject).toBe("Stel je wachtwoord opnieuw in");
    expect(message.text).toContain(mail.link);
    expect(message.html).toContain(`href="${mail.link.replace(/&/g, "&amp;")}"`);
    expect(message.raw).toMatch(/multipart\/alternative/i);
    expect(mail.link.startsWith(`${RESET_URL}?token=`)).toBe(true);

    const inspected = await call("GET", `/forgot-password/${mail.token}`);
    expect(inspected.status).toBe(200);
    expect(await inspected.json()).toMatchObject({
      "@type": "PasswordToken",
      user: { "@id": expect.stringMatching(/^\/api\/users\//), email },
    });
    expect((await call("POST", `/forgot-password/${mail.token}`, { password: "a brand new password" })).status).toBe(204);
    expect((await login(email)).status).toBe(401);
    expect((await login(email, "a brand new password")).status).toBe(201);
    // Spent: the same link is unknown now, to both routes.
    expect((await call("GET", `/forgot-password/${mail.token}`)).status).toBe(404);
    expect((await call("POST", `/forgot-password/${mail.token}`, { password: "yet another password" })).status).toBe(404);
  });

  it("answers 204 to reset and verification requests at once even while the mail server takes its time", async () => {
    const { call, signup } = api(service);
    const { email } = await signup();
    smtp.delayMs = 1_500;
    try {
      const started = performance.now();
      expect((await call("POST", "/forgot-password/", { email, resetUrl: RESET_URL })).status).toBe(204);
      expect((await call("POST", "/api/email_verification_requests", { email, verifyUrl: VERIFY_URL })).status).toBe(204);
      // Both answered well before one slow mail could have been accepted.
      expect(performance.now() - started).toBeLessThan(smtp.delayMs);
      await smtp.mailbox.next(email, "reset", 10_000);
    } finally {
      smtp.delayMs = 0;
    }
  });
});

describe("dev mailbox, link tokens and e-mail verification", () => {
  let service: RunningAuthService;
  let dataDir: string;
  let logs: string[];
  beforeAll(async () => {
    ({ service, dataDir, logs } = await start({ resetTokenLifetimeSeconds: 2 }));
  });

  it("without SMTP_URL each mail is a JSON file under the mail directory and its link is logged once", async () => {
    const { call, signup } = api(service);
    const { email } = await signup();
    expect((await call("POST", "/forgot-password/", { email, resetUrl: RESET_URL, lang: "nl" })).status).toBe(204);
    const mail = await devMailbox(path.join(dataDir, "mail")).next(email, "reset");
    expect(mail).toMatchObject({ kind: "reset", to: email, lang: "nl", subject: "Stel je wachtwoord opnieuw in" });
    expect(mail.text).toContain(mail.link);
    expect(mail.html).toContain("<a href=");
    expect(logs.filter((line) => line.includes(mail.link))).toHaveLength(1);
    expect(service.mail).toMatch(/^dev mailbox /);
  });

  it("stores link tokens hashed: the SQLite file holds the token's SHA-256, never the token", async () => {
    const { call, signup } = api(service);
    const { email } = await signup(undefined, { verifyUrl: VERIFY_URL });
    await call("POST", "/forgot-password/", { email, resetUrl: RESET_URL });
    const box = devMailbox(path.join(dataDir, "mail"));
    const tokens = [(await box.next(email, "verify")).token, (await box.next(email, "reset")).token];
    const db = new Database(path.join(dataDir, "auth-service.sqlite"), { readonly: true });
    try {
      const rows = db.prepare("SELECT * FROM link_tokens").all() as Array<Record<string, unknown>>;
      const dump = JSON.stringify(rows);
      for (const token of tokens) {
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
        expect(dump).not.toContain(token);
        expect(rows.map((row) => row.token_hash)).toContain(createHash("sha256").update(token).digest("hex"));
      }
    } finally {
      db.close();
    }
  });

  it("a reset token is single use, a newer request leaves an older unused token valid, and an expired one is refused", async () => {
    const { call, signup } = api(service);
    const { email } = await signup();
    const box = devMailbox(path.join(dataDir, "mail"));
    await call("POST", "/forgot-password/", { email, resetUrl: RESET_URL });
    const older = await box.next(email, "reset");
    await call("POST", "/forgot-password/", { email, resetUrl: RESET_URL });
    const newer = await box.next(email, "reset");
    expect(newer.token).not.toBe(older.token);
    // A refused password does not spend the token.
    const short = await call("POST", `/forgot-password/${older.token}`, { password: "short" });
    expect(short.status).toBe(422);
    expect((await call("POST", `/forgot-password/${older.token}`, { password: "the older link still works" })).status).toBe(204);
    expect((await call("POST", `/forgot-password/${older.token}`, { password: "the older link still works" })).status).toBe(404);
    // The newer one expires (2 s in this service).
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await call("GET", `/forgot-password/${newer.token}`)).status).toBe(404);
    expect((await call("POST", `/forgot-password/${newer.token}`, { password: "too late for this one" })).status).toBe(404);
    expect((await call("GET", "/forgot-password/not-a-token")).status).toBe(404);
  });

  it("refuses a link to an origin outside LINK_ORIGINS: 400 for reset and resend, no mail for a sign-up", async () => {
    const { call, signup } = api(service);
    const { email } = await signup();
    for (const url of [
      "https://evil.example/reset",
      "http://app.example.test/reset-password",
      "javascript:alert(1)",
      "https://user:pw@app.example.test/x",
    ]) {
      expect((await call("POST", "/forgot-password/", { email, resetUrl: url })).status, url).toBe(400);
      expect((await call("POST", "/api/email_verification_requests", { email, verifyUrl: url })).status, url).toBe(400);
    }
    // A sign-up with such a verifyUrl still creates the account, but mails nothing.
    const evil = uniqueEmail("evil");
    expect((await call("POST", "/api/users", { email: evil, password: PASSWORD, verifyUrl: "https://evil.example/v" })).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await devMailbox(path.join(dataDir, "mail")).all(email)).toEqual([]);
    expect(await devMailbox(path.join(dataDir, "mail")).all(evil)).toEqual([]);
  });

  it("verification: the link verifies once; the login answer, the JWT call and the JWT say so", async () => {
    const { call, signup, login } = api(service);
    const { email, id } = await signup(undefined, { verifyUrl: VERIFY_URL });
    const mail = await devMailbox(path.join(dataDir, "mail")).next(email, "verify");
    expect(mail.link.startsWith(`${VERIFY_URL}?token=`)).toBe(true);
    const before = (await (await login(email)).json()) as { token: string; verified: boolean };
    expect(before.verified).toBe(false);

    const verified = await call("POST", "/api/email_verifications", { token: mail.token });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ "@id": `/api/users/${id}`, email, verified: true });
    expect((await call("POST", "/api/email_verifications", { token: mail.token })).status).toBe(404);
    expect((await call("POST", "/api/email_verifications", { token: "nope" })).status).toBe(404);

    const after = (await (await login(email)).json()) as { token: string; verified: boolean };
    expect(after.verified).toBe(true);
    const user = await call("GET", `/api/users/${id}`, undefined, { "REFRESH-TOKEN": after.token });
    const body = (await user.json()) as { email: string; verified: boolean; jwttoken: string };
    expect(body).toMatchObject({ email, verified: true });
    expect(decodeJwt(body.jwttoken)).toMatchObject({ sub: id, email, email_verified: true });
    // A verified account asking again gets the same 204, and no mail.
    expect((await call("POST", "/api/email_verification_requests", { email, verifyUrl: VERIFY_URL })).status).toBe(204);
  });

  it("password change: merge-patch with the current password; a wrong one is 403 invalid_current_password; other refresh tokens end unless kept", async () => {
    const { call, signup, login } = api(service);
    const { email, id } = await signup();
    const [mine, other, third] = await Promise.all(
      [login(email), login(email), login(email)].map(async (r) => (await r).json() as Promise<{ token: string }>),
    );
    const patch = (token: string, body: unknown, type = "application/merge-patch+json") =>
      call("PATCH", `/api/users/${id}`, body, { "content-type": type, "REFRESH-TOKEN": token });
    expect((await patch(mine!.token, { currentPassword: PASSWORD, password: "new password one" }, "application/json")).status).toBe(415);
    const wrong = await patch(mine!.token, { currentPassword: "not it", password: "new password one" });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ code: "invalid_current_password" });
    expect((await patch(mine!.token, { currentPassword: PASSWORD, password: "short" })).status).toBe(422);
    expect((await patch("f".repeat(128), { currentPassword: PASSWORD, password: "new password one" })).status).toBe(403);

    expect((await patch(mine!.token, { currentPassword: PASSWORD, password: "new password one", keepOtherTokens: true })).status).toBe(200);
    const jwt = (token: string) => call("GET", `/api/users/${id}`, undefined, { "REFRESH-TOKEN": token });
    expect((await jwt(other!.token)).status).toBe(200);
    expect((await patch(mine!.token, { currentPassword: "new password one", password: "new password two" })).status).toBe(200);
    expect((await jwt(mine!.token)).status).toBe(200);
    expect((await jwt(other!.token)).status).toBe(403);
    expect((await jwt(third!.token)).status).toBe(403);
    expect((await login(email, "new password two")).status).toBe(201);
  });

  it("a completed reset revokes every refresh token of the user and marks the address verified", async () => {
    const { call, signup, login } = api(service);
    const { email, id } = await signup();
    const { token } = (await (await login(email)).json()) as { token: string };
    await call("POST", "/forgot-password/", { email, resetUrl: RESET_URL });
    const mail = await devMailbox(path.join(dataDir, "mail")).next(email, "reset");
    expect((await call("POST", `/forgot-password/${mail.token}`, { password: "reset to this one" })).status).toBe(204);
    expect((await call("GET", `/api/users/${id}`, undefined, { "REFRESH-TOKEN": token })).status).toBe(403);
    expect(((await (await login(email, "reset to this one")).json()) as { verified: boolean }).verified).toBe(true);
  });

  it("unknown e-mails get the same 204 to reset and verification requests, and nothing is mailed", async () => {
    const { call } = api(service);
    const email = uniqueEmail("nobody");
    expect((await call("POST", "/forgot-password/", { email, resetUrl: RESET_URL })).status).toBe(204);
    expect((await call("POST", "/api/email_verification_requests", { email, verifyUrl: VERIFY_URL })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await readdir(path.join(dataDir, "mail"))).length).toBeGreaterThan(0);
    expect(await devMailbox(path.join(dataDir, "mail")).all(email)).toEqual([]);
  });
});

describe("REQUIRE_EMAIL_VERIFICATION", () => {
  it("the right password of an unverified account gets 403 with code email_not_verified; a wrong one the usual 401", async () => {
    const { service, dataDir } = await start({ requireEmailVerification: true });
    const { call, signup, login } = api(service);
    const { email } = await signup(undefined, { verifyUrl: VERIFY_URL });
    const refused = await login(email);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ "@type": "hydra:Error", code: "email_not_verified" });
    const wrong = await login(email, "not the password");
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).not.toHaveProperty("code");
    const mail = await devMailbox(path.join(dataDir, "mail")).next(email, "verify");
    expect((await call("POST", "/api/email_verifications", { token: mail.token })).status).toBe(200);
    expect((await login(email)).status).toBe(201);
  });
});
