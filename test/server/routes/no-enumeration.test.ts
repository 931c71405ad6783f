// Security 28: asking for a reset or a new verification link tells nothing about the account. Known and unknown
// e-mails get the same status, body and headers, and the same time: the session server answers 202 before the auth
// service does anything, so a mailer that is slow for existing accounts only (the legacy fixture's mailDelayMs, the
// reference service's SMTP server held up) does not show. Timing is compared as distributions (the median of the
// differences within interleaved pairs, within a tolerant margin), not against fixed milliseconds. A failure upstream
// is logged, never shown.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyAuthService, type LegacyAuthService } from "../../fixtures/legacy-auth-service.js";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/mailbox.js";
import {
  PASSWORD,
  startTestSessionServer,
  timed,
  uniqueEmail,
  type TestResponse,
  type TestSessionServer,
} from "../../helpers/session-server.js";

const MAIL_DELAY_MS = 400;
const SAMPLES = 16;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

function comparable(response: TestResponse): { status: number; text: string; headers: Record<string, unknown> } {
  const { date: _date, ...headers } = response.headers;
  return { status: response.status, text: response.text, headers };
}

describe.each(["reference", "legacy"] as const)("reset and resend reveal nothing about the account (%s auth service)", (auth) => {
  let server: TestSessionServer;
  let legacy: LegacyAuthService | undefined;
  let smtp: TestSmtpServer | undefined;
  let known: string;

  beforeAll(async () => {
    if (auth === "legacy") {
      legacy = await startLegacyAuthService({ mailDelayMs: MAIL_DELAY_MS });
      server = await startTestSessionServer({
        authService: legacy.url,
        env: { AUTH_FEATURES: "password-reset,email-verification", RATE_LIMIT_RESET_PER_ACCOUNT: "1000" },
      });
    } else {
      smtp = await startSmtpServer();
      smtp.delayMs = MAIL_DELAY_MS;
      server = await startTestSessionServer({ env: { SMTP_URL: smtp.url, RATE_LIMIT_RESET_PER_ACCOUNT: "1000" } });
    }
    known = uniqueEmail(`known-${auth}`);
    expect((await server.client().post("/auth/signup", { email: known, password: PASSWORD })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    await legacy?.close();
    await smtp?.close();
  });

  it.each([
    ["password reset", "/auth/password-reset"],
    ["verification resend", "/auth/email-verification/resend"],
  ])("security 28: %s: known and unknown e-mails get identical status, body and headers, and the same timing", async (_name, path) => {
    const c = server.client();
    // Warm the connection and the route.
    await c.post(path, { email: uniqueEmail("warm") });
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    const answers: TestResponse[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const pair = [() => c.post(path, { email: known }), () => c.post(path, { email: uniqueEmail("unknown") })] as const;
      // Alternate the order, so drift over the run weighs on both sides alike.
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) {
        const { response, ms } = await timed(pair[which]!);
        (which === 0 ? knownTimes : unknownTimes).push(ms);
        answers.push(response);
      }
    }
    // The two requests of a pair are back to back: their difference cancels the load of whatever else
    // runs on the machine, which a comparison of the two medians alone does not.
    const pairDifferences = knownTimes.map((ms, i) => ms - unknownTimes[i]!);
    const first = comparable(answers[0]!);
    expect(first.status).toBe(202);
    expect(first.text).toBe("{}");
    for (const answer of answers) expect(comparable(answer)).toEqual(first);
    const [knownMedian, unknownMedian] = [median(knownTimes), median(unknownTimes)];
    // Same distribution within noise, and nowhere near the mailer's delay for existing accounts.
    const pairMedian = median(pairDifferences);
    expect(
      Math.abs(pairMedian),
      `known ${knownMedian} ms, unknown ${unknownMedian} ms, known - unknown per pair ${pairMedian} ms`,
    ).toBeLessThan(Math.max(15, 0.5 * Math.max(knownMedian, unknownMedian)));
    expect(knownMedian).toBeLessThan(MAIL_DELAY_MS / 2);
  });

  it("security 28: the mail for the existing account still goes out, after the answer", async () => {
    const email = uniqueEmail(`sent-${auth}`);
    expect((await server.client().post("/auth/signup", { email, password: PASSWORD })).status).toBe(201);
    expect((await server.client().post("/auth/password-reset", { email })).status).toBe(202);
    const deadline = Date.now() + 5_000 + MAIL_DELAY_MS;
    const sent = (): boolean =>
      legacy
        ? legacy.mails.some((m) => m.to === email && m.kind === "reset")
        : smtp!.messages.some((m) => m.to.includes(email) && /password/i.test(m.subject));
    while (!sent() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(sent()).toBe(true);
  });
});

describe("an auth service failing on reset or resend", () => {
  let legacy: LegacyAuthService;
  let server: TestSessionServer;
  beforeAll(async () => {
    legacy = await startLegacyAuthService();
    server = await startTestSessionServer({ authService: legacy.url, env: { AUTH_FEATURES: "password-reset,email-verification" } });
  });
  afterAll(async () => {
    await server?.close();
    await legacy?.close();
  });

  it("security 28: still answers 202 {}, and the failure is logged, never shown", async () => {
    legacy.fault = { status: 500 };
    try {
      for (const path of ["/auth/password-reset", "/auth/email-verification/resend"]) {
        const answer = await server.client().post(path, { email: uniqueEmail("fails") });
        expect(answer.status).toBe(202);
        expect(answer.text).toBe("{}");
      }
      const deadline = Date.now() + 3_000;
      const logged = () => server.logs().includes("verification_request_failed") && server.logs().includes("password_reset_request_failed");
      while (!logged() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    } finally {
      legacy.fault = {};
    }
    expect(server.logs()).toContain("password_reset_request_failed");
    expect(server.logs()).toContain("verification_request_failed");
    expect(server.logs()).not.toContain("SQLSTATE");
  });
});
