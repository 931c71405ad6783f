// Issue 3's acceptance, end to end: a host page (the plain demo page, which loads only
// dist/auth-elements.js) under the strict CSP, reaching the session server through a same-origin
// reverse proxy (the demo's front server). Sign up; a second tab follows a logout within a second;
// a wrong password is announced; log in; the refresh token is revoked behind the page's back and
// its next apiFetch gets a 401, which flips the gate to anonymous. Throughout: no CSP violation,
// no page error, and no token readable from cookies or storage.
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { demoAndBrowser, gateState, membersHeading, newAccount, openDemo, screenshot, submitAuthForm, watchedContext } from "./browser.js";

const running = demoAndBrowser();

/** Everything page scripts can read: cookies and both storages. */
function readableSecrets(page: Page): Promise<{ cookie: string; local: Record<string, string>; session: Record<string, string> }> {
  return page.evaluate(() => ({
    cookie: document.cookie,
    local: Object.fromEntries(Object.entries(localStorage)),
    session: Object.fromEntries(Object.entries(sessionStorage)),
  }));
}

/** The events of `types` fired on `document` from now on, kept on the page. */
async function recordEvents(page: Page, types: string[]): Promise<() => Promise<{ type: string; detail: unknown }[]>> {
  await page.evaluate((names) => {
    const seen: { type: string; detail: unknown }[] = [];
    (window as unknown as { __events: typeof seen }).__events = seen;
    for (const name of names)
      document.addEventListener(name, (event) => seen.push({ type: event.type, detail: (event as CustomEvent).detail }));
  }, types);
  return () => page.evaluate(() => (window as unknown as { __events: { type: string; detail: unknown }[] }).__events);
}

it("meets issue 3's acceptance on a host page under the strict CSP", async () => {
  const { context, problems } = await watchedContext(running.browser);
  const other = await watchedContext(running.browser); // another device of the same user
  try {
    const page = await openDemo(context, running.demo.url);
    const response = await page.request.get(running.demo.url);
    expect(response.headers()["content-security-policy"]).toContain("script-src 'self'; style-src 'self'");
    const events = await recordEvents(page, ["auth-signup", "auth-login", "auth-logout", "auth-error", "auth-session-expired"]);
    const account = newAccount("e2e-acceptance");

    // Sign up: the gate shows members content.
    await gateState(page, "anonymous");
    await submitAuthForm(page, "auth-signup", account.email, account.password);
    await gateState(page, "authenticated");
    await membersHeading(page).waitFor({ state: "visible" });

    // A second tab follows a logout within a second.
    const second = await openDemo(context, running.demo.url);
    await gateState(second, "authenticated");
    await page.locator("auth-logout button").click();
    await gateState(page, "anonymous");
    const loggedOut = Date.now();
    await gateState(second, "anonymous", 1_000);
    expect(Date.now() - loggedOut).toBeLessThan(1_000);
    await second.close();

    // A wrong password: an announced error (role="alert"), and an auth-error event.
    await submitAuthForm(page, "auth-login", account.email, "not the password at all");
    const alert = page.locator('auth-login [role="alert"]');
    await alert.filter({ hasText: /\S/ }).waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toBe("Wrong e-mail address or password.");
    await gateState(page, "anonymous");
    await screenshot(page, "acceptance-1-wrong-password");

    // Log in.
    await submitAuthForm(page, "auth-login", account.email, account.password);
    await gateState(page, "authenticated");
    await page.locator("#whoami").click();
    await page.locator("#notes-answer", { hasText: account.email }).waitFor({ timeout: 15_000 });

    // Behind its back: the same user, elsewhere, logs out everywhere, which revokes the refresh
    // token of this page's session too. The page still believes it is signed in...
    const elsewhere = await openDemo(other.context, running.demo.url);
    await submitAuthForm(elsewhere, "auth-login", account.email, account.password);
    await gateState(elsewhere, "authenticated");
    const revoked = await elsewhere.evaluate(async () => {
      const answer = await fetch("/auth/sessions/revoke-all", { method: "POST", headers: { "X-CSRF": "1" } });
      return { status: answer.status, body: (await answer.json()) as { revoked: number } };
    });
    expect(revoked).toEqual({ status: 200, body: { revoked: 2 } });
    await gateState(page, "authenticated");

    // ...until its next gateway call gets a 401: the gate flips to anonymous.
    await page.locator("#whoami").click();
    await gateState(page, "anonymous");
    await page.locator('auth-gate [slot="anonymous"]').waitFor({ state: "visible" });
    await screenshot(page, "acceptance-2-revoked");

    expect((await events()).map(({ type }) => type)).toEqual([
      "auth-signup",
      "auth-logout",
      "auth-error",
      "auth-login",
      "auth-session-expired",
    ]);
    expect((await events())[2]!.detail).toMatchObject({ code: "invalid_credentials" });
    expect((await events())[4]!.detail).toEqual({ reason: "unauthenticated" });

    // No token readable by page scripts: the session cookie is HttpOnly, storage is empty.
    expect(await readableSecrets(page)).toEqual({ cookie: "", local: {}, session: {} });
    const cookies = await context.cookies();
    expect(cookies.length).toBeGreaterThan(0);
    expect(cookies.every((cookie) => cookie.httpOnly)).toBe(true);

    expect(await problems.cspViolations()).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(await other.problems.cspViolations()).toEqual([]);
    expect(other.problems.pageErrors).toEqual([]);

    // The watch itself works: an inline style is a violation it reports.
    await page.evaluate(() => document.head.append(Object.assign(document.createElement("style"), { textContent: "body{}" })));
    await expect.poll(() => problems.cspViolations(), { timeout: 5_000 }).toHaveLength(1);
  } finally {
    await other.context.close();
    await context.close();
  }
}, 180_000);
