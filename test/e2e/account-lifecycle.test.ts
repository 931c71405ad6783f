// Issue 13's acceptance, end to end, in Chromium on the demo (`npm start`'s own process, its strict
// CSP, the reference auth service in-process writing its mails to the dev mailbox): sign up, find
// the verification mail on the /mailbox page, follow it, verified; forget the password, follow the
// reset mail, set a new one and be signed in while the other browser is signed out; change the
// password on /account (the other browser is signed out again); see both sessions there and end
// the other one, which signs that browser out. Each link's token leaves the address bar before the
// page makes any request with it; no CSP violation and no page error anywhere.
import type { BrowserContext, Page } from "playwright-core";
import { expect, it } from "vitest";
import {
  axeViolations,
  demoAndBrowser,
  gateState,
  newAccount,
  openDemo,
  type Problems,
  screenshot,
  submitAuthForm,
  watchedContext,
} from "./browser.js";

const running = demoAndBrowser();

/** Generous: Chromium, the demo and other suites share a small, busy machine. */
const TIMEOUT = 150_000;

declare global {
  interface Window {
    __requests?: { url: string; pageUrl: string }[];
  }
}

/** A watched context whose pages note, for each fetch(), the address bar at that moment. */
async function browserOfUser(): Promise<{ context: BrowserContext; problems: Problems }> {
  const watched = await watchedContext(running.browser);
  await watched.context.addInitScript(() => {
    const original = window.fetch;
    window.__requests = [];
    window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
      window.__requests!.push({ url: input instanceof Request ? input.url : String(input), pageUrl: location.href });
      return original.call(this, input, init);
    };
  });
  return watched;
}

async function expectNoProblems(...all: Problems[]): Promise<void> {
  for (const problems of all) {
    expect(await problems.cspViolations()).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
  }
}

/**
 * Opens the dev mailbox page, waits for the newest mail to `email` with `subject` (the page looks
 * again every two seconds) and follows its link, like a user reading the mail; returns the link.
 */
async function followMailedLink(page: Page, email: string, subject: string): Promise<string> {
  await page.goto(new URL("mailbox", running.demo.url).href);
  const mail = page.locator("#mails tr").filter({ hasText: email }).filter({ hasText: subject });
  await mail.first().waitFor({ timeout: 20_000 });
  expect(await axeViolations(page)).toEqual([]);
  await screenshot(page, "lifecycle-0-mailbox");
  const link = mail.first().locator("a");
  const href = (await link.getAttribute("href"))!;
  await link.click();
  return href;
}

/** After a mailed link opened `pathname`: the token is gone from the address bar, and was gone before the page's first request. */
async function expectTokenGoneAtOnce(page: Page, href: string, pathname: string): Promise<void> {
  const link = new URL(href);
  expect(link.origin).toBe(new URL(running.demo.url).origin);
  expect(link.pathname).toBe(pathname);
  const token = link.searchParams.get("token")!;
  expect(token).toMatch(/\S{16,}/);
  await page.waitForURL((url) => url.pathname === pathname && url.search === "" && url.hash === "");
  const requests = await page.evaluate(() => window.__requests ?? []);
  expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) expect(request.pageUrl, `address bar when ${request.url} was fetched`).not.toContain(token);
}

const statusOf = (page: Page, tag: string) => page.locator(`${tag} [role="status"]`).filter({ hasText: /\S/ });
const summary = (page: Page) => page.locator("#session-summary");

it(
  "signs up, finds the verification mail on the mailbox page, follows its link and is verified",
  async () => {
    const { context, problems } = await browserOfUser();
    try {
      const account = newAccount("e2e-verify");
      const page = await openDemo(context, running.demo.url);
      await gateState(page, "anonymous");
      await submitAuthForm(page, "auth-signup", account.email, account.password);
      await gateState(page, "authenticated");
      await page.goto(new URL("account", running.demo.url).href);
      await summary(page)
        .filter({ hasText: `Signed in as ${account.email} (e-mail address not confirmed yet).` })
        .waitFor();

      const mailbox = await context.newPage();
      const href = await followMailedLink(mailbox, account.email, "Confirm your e-mail address");
      await expectTokenGoneAtOnce(mailbox, href, "/verify-email");
      await statusOf(mailbox, "auth-verify-email").filter({ hasText: "Your e-mail address is confirmed." }).waitFor({ timeout: 15_000 });
      // Signed in in this browser: the session says so at once.
      await summary(mailbox)
        .filter({ hasText: `Signed in as ${account.email} (e-mail address confirmed).` })
        .waitFor();
      await screenshot(mailbox, "lifecycle-1-verified");

      // The link is spent: opened again, it is refused and a new one can be asked for.
      await mailbox.goto(href);
      await mailbox.locator('auth-verify-email [role="alert"]').filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
      await mailbox.locator('auth-verify-email input[name="email"]').waitFor();
      await expectNoProblems(problems);
    } finally {
      await context.close();
    }
  },
  TIMEOUT,
);

it(
  "resets a forgotten password from the mailed link and signs in, while the user's other browser is signed out",
  async () => {
    const mine = await browserOfUser();
    const other = await browserOfUser();
    try {
      const account = newAccount("e2e-reset");
      const elsewhere = await openDemo(other.context, running.demo.url);
      await submitAuthForm(elsewhere, "auth-signup", account.email, account.password);
      await gateState(elsewhere, "authenticated");

      // Forgot the password: the sign-in box links to the reset page, which asks for the address.
      const page = await openDemo(mine.context, running.demo.url);
      await gateState(page, "anonymous");
      await page.locator("auth-login a", { hasText: "Forgot your password?" }).click();
      await page.waitForURL((url) => url.pathname === "/reset-password");
      await page.locator('auth-password-reset input[name="email"]').fill(account.email);
      await page.locator('auth-password-reset button[type="submit"]').click();
      await statusOf(page, "auth-password-reset").filter({ hasText: "If an account exists for this address" }).waitFor({ timeout: 15_000 });

      const href = await followMailedLink(page, account.email, "Reset your password");
      await expectTokenGoneAtOnce(page, href, "/reset-password");
      const newPassword = "a brand new passphrase";
      await page.locator('auth-password-reset input[name="newPassword"]').fill(newPassword);
      await page.locator('auth-password-reset button[type="submit"]').click();
      await statusOf(page, "auth-password-reset")
        .filter({ hasText: "Your new password is set and you are signed in." })
        .waitFor({ timeout: 15_000 });
      await summary(page)
        .filter({ hasText: `Signed in as ${account.email}` })
        .waitFor();
      await screenshot(page, "lifecycle-2-reset");

      // The other browser was signed out by the reset: it finds out at its next look.
      await elsewhere.reload();
      await gateState(elsewhere, "anonymous");
      // The old password is gone, the new one signs in.
      await submitAuthForm(elsewhere, "auth-login", account.email, account.password);
      await elsewhere.locator('auth-login [role="alert"]', { hasText: "Wrong e-mail address or password." }).waitFor({ timeout: 15_000 });
      await submitAuthForm(elsewhere, "auth-login", account.email, newPassword);
      await gateState(elsewhere, "authenticated");

      // The link is spent: used again, it brings back the e-mail step, saying why.
      await page.goto(href);
      await page.locator('auth-password-reset input[name="newPassword"]').fill("yet another passphrase");
      await page.locator('auth-password-reset button[type="submit"]').click();
      await page.locator('auth-password-reset [role="alert"]').filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
      await page.locator('auth-password-reset input[name="email"]').waitFor();
      await expectNoProblems(mine.problems, other.problems);
    } finally {
      await other.context.close();
      await mine.context.close();
    }
  },
  TIMEOUT,
);

it(
  "changes the password on /account, then sees both sessions there and ends the other one, which signs that browser out",
  async () => {
    const mine = await browserOfUser();
    const other = await browserOfUser();
    try {
      const account = newAccount("e2e-account");
      const page = await openDemo(mine.context, running.demo.url);
      await submitAuthForm(page, "auth-signup", account.email, account.password);
      await gateState(page, "authenticated");
      const elsewhere = await openDemo(other.context, running.demo.url);
      await submitAuthForm(elsewhere, "auth-login", account.email, account.password);
      await gateState(elsewhere, "authenticated");

      // The account page, from the demo's navigation.
      await page.locator("nav a", { hasText: "Your account" }).click();
      await page.waitForURL((url) => url.pathname === "/account");
      await gateState(page, "authenticated");
      const sessions = page.locator("auth-account .auth-session");
      await expect.poll(() => sessions.count(), { timeout: 15_000 }).toBe(2);

      // Change the password: current and new; the other sessions end.
      const newPassword = "another fine passphrase";
      await page.locator('auth-account input[name="currentPassword"]').fill(account.password);
      await page.locator('auth-account input[name="newPassword"]').fill(newPassword);
      await page.getByRole("button", { name: "Change password" }).click();
      await page
        .locator('auth-account [role="status"]', { hasText: "Your password is changed, and your other sessions are signed out." })
        .waitFor({ timeout: 15_000 });
      await expect.poll(() => sessions.count(), { timeout: 15_000 }).toBe(1);
      await elsewhere.reload();
      await gateState(elsewhere, "anonymous");

      // Signed in again elsewhere, with the new password: both sessions are listed, this one marked.
      await submitAuthForm(elsewhere, "auth-login", account.email, newPassword);
      await gateState(elsewhere, "authenticated");
      await page.reload();
      await gateState(page, "authenticated");
      await expect.poll(() => sessions.count(), { timeout: 15_000 }).toBe(2);
      await expect(sessions.filter({ hasText: "(This device)" }).count()).resolves.toBe(1);
      await screenshot(page, "lifecycle-3-sessions");
      expect(await axeViolations(page)).toEqual([]);

      // End the other one: the list keeps this device only, and the other browser is signed out.
      await sessions.filter({ hasNotText: "(This device)" }).locator("button", { hasText: "Sign out" }).click();
      await page.locator('auth-account [role="status"]', { hasText: "That session is signed out." }).waitFor({ timeout: 15_000 });
      await expect.poll(() => sessions.count(), { timeout: 15_000 }).toBe(1);
      await gateState(page, "authenticated");
      await elsewhere.reload();
      await gateState(elsewhere, "anonymous");
      await expectNoProblems(mine.problems, other.problems);
    } finally {
      await other.context.close();
      await mine.context.close();
    }
  },
  TIMEOUT,
);
