// Issue 16's e2e: sign in with an OpenID Connect provider on a host page under the strict CSP (the
// plain demo page, as `npm start` serves it with its demo IdP). "Continue with Test IdP" leaves the
// page for the provider's own login page, the browser comes back signed in (the gate shows members
// content, a gateway call carries the provider's access token to the notes upstream) while page
// scripts can read no token, and signing out follows the server's logoutUrl to the provider's
// sign-out, so that the next "Continue with" asks the provider's login again.
import { expect, it } from "vitest";
import { demoAndBrowser, gateState, membersHeading, openDemo, screenshot, watchedContext } from "./browser.js";

const running = demoAndBrowser();

it('signs in through "Continue with Test IdP" on a strict-CSP page, and out at the provider too', async () => {
  const { context, problems } = await watchedContext(running.browser);
  try {
    const page = await openDemo(context, running.demo.url);
    const idpOrigin = new URL(/Demo IdP .* at (http:\/\/\S+)/.exec(running.demo.output())![1]!).origin;
    await gateState(page, "anonymous");
    const providerButton = page.locator("auth-login button.auth-provider", { hasText: /^Continue with Test IdP/ });

    await screenshot(page, "oidc-0-provider-button");

    // A full-page navigation to the provider (no pop-up), its login page, back signed in.
    await providerButton.click();
    await page.waitForURL((url) => url.origin === idpOrigin);
    await page.getByLabel("E-mail address").fill("oidc-e2e@example.org");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(running.demo.url);
    await gateState(page, "authenticated");
    await membersHeading(page).waitFor({ state: "visible" });
    await page.locator("#members-email", { hasText: "oidc-e2e@example.org" }).waitFor();
    await screenshot(page, "oidc-1-signed-in");

    // Through the gateway the notes service gets the provider's access token; the page gets none.
    await page.locator("#whoami").click();
    await page.locator("#notes-answer", { hasText: '"sub"' }).waitFor({ timeout: 15_000 });
    await gateState(page, "authenticated");
    const readable = await page.evaluate(() => ({
      cookie: document.cookie,
      storage: localStorage.length + sessionStorage.length,
      url: location.href,
    }));
    expect(readable).toEqual({ cookie: "", storage: 0, url: running.demo.url });

    // Signing out follows logoutUrl to the provider's sign-out, which sends the browser back home.
    await page.locator("auth-logout button").click();
    await page.waitForURL((url) => url.origin === idpOrigin);
    await page.getByRole("button", { name: "Yes, sign me out" }).click();
    await page.waitForURL(running.demo.url);
    await gateState(page, "anonymous");

    // Signed out at the provider too: it asks for the login again.
    await providerButton.click();
    await page.getByLabel("E-mail address").waitFor();
    expect(new URL(page.url()).origin).toBe(idpOrigin);

    expect(await problems.cspViolations()).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
}, 120_000);
