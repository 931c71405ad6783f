// End-to-end: each demo host page (plain HTML at /, React 19 at /react/, Vue 3 at /vue/, Svelte 5 at /svelte/) in
// Chromium, served under the strict CSP by the demo server. Per page: sign up, see the gated
// content, call the notes service through the gateway, sign out with a second tab following;
// sign in with the keyboard alone; switch theme and language; and no axe-core violation.
import { describe, expect, it } from "vitest";
import {
  axeViolations,
  demoAndBrowser,
  gateState,
  membersHeading,
  newAccount,
  openDemo,
  screenshot,
  submitAuthForm,
  watchedContext,
} from "./browser.js";

const PAGES = [
  { name: "plain", path: "" },
  { name: "react", path: "react/" },
  { name: "vue", path: "vue/" },
  { name: "svelte", path: "svelte/" },
] as const;

/** Generous: Chromium, the demo and other suites share a small, busy machine. */
const TIMEOUT = 120_000;

const running = demoAndBrowser();

/** Creates an account without a browser (the sign-up form is tested elsewhere), as a first-party client would. */
async function createAccount(email: string, password: string): Promise<void> {
  const response = await fetch(new URL("auth/signup", running.demo.url), {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf": "1" },
    body: JSON.stringify({ email, password }),
  });
  expect(response.status).toBe(201);
}

describe.each(PAGES)("the $name host page", ({ name, path }) => {
  const url = () => new URL(path, running.demo.url).href;

  it(
    "signs up, shows the members area, calls the notes service, and signs out with a second tab following within a second",
    async () => {
      const { context, problems } = await watchedContext(running.browser);
      try {
        const page = await openDemo(context, url());
        await gateState(page, "anonymous");
        await expect(membersHeading(page).isVisible()).resolves.toBe(false);
        await screenshot(page, `${name}-1-anonymous`);

        const account = newAccount(`e2e-${name}`);
        await submitAuthForm(page, "auth-signup", account.email, account.password);
        await gateState(page, "authenticated");
        await membersHeading(page).waitFor({ state: "visible" });
        await expect(page.locator("#session-user").textContent()).resolves.toBe(account.email);
        await expect(page.locator("#event-log").textContent()).resolves.toContain(`auth-signup: ${account.email}`);

        // The notes service answers with the caller it found in the JWT the gateway attached.
        await page.locator("#whoami").click();
        await page.locator("#notes-answer", { hasText: account.email }).waitFor({ timeout: 15_000 });
        const answer = JSON.parse((await page.locator("#notes-answer").textContent())!) as { sub: string; email: string };
        expect(answer.email).toBe(account.email);
        expect(answer.sub).toBeTruthy();

        await page.locator("#note-text").fill(`a note from ${name}`);
        await page.locator("#note-form button[type=submit]").click();
        await page.locator("#notes-list li", { hasText: `a note from ${name}` }).waitFor({ timeout: 15_000 });
        await screenshot(page, `${name}-2-members`);

        // A second tab of the same browser follows the first one's logout.
        const second = await openDemo(context, url());
        await gateState(second, "authenticated");
        await page.locator("auth-logout button").click();
        await gateState(page, "anonymous");
        const followed = Date.now();
        await gateState(second, "anonymous", 1_000);
        expect(Date.now() - followed).toBeLessThan(1_000);
        await expect(page.locator("#session-user").textContent()).resolves.not.toBe(account.email);
        await screenshot(second, `${name}-3-second-tab-signed-out`);

        expect(await problems.cspViolations()).toEqual([]);
        expect(problems.pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );

  it(
    "signs in with the keyboard alone",
    async () => {
      const account = newAccount(`e2e-keys-${name}`);
      await createAccount(account.email, account.password);
      const { context, problems } = await watchedContext(running.browser);
      try {
        const page = await openDemo(context, url());
        await gateState(page, "anonymous");
        // Tab through the page from the top until the sign-in form's e-mail field has focus.
        const inLoginEmail = () => page.evaluate(() => document.activeElement?.matches('auth-login input[name="email"]') ?? false);
        let presses = 0;
        while (!(await inLoginEmail())) {
          expect(++presses, "Tab presses to reach the sign-in e-mail field").toBeLessThan(25);
          await page.keyboard.press("Tab");
        }
        await page.keyboard.type(account.email);
        await page.keyboard.press("Tab");
        expect(await page.evaluate(() => document.activeElement?.matches('auth-login input[name="password"]'))).toBe(true);
        await page.keyboard.type(account.password);
        await page.keyboard.press("Enter");
        await gateState(page, "authenticated");
        await membersHeading(page).waitFor({ state: "visible" });
        await expect(page.locator("#session-user").textContent()).resolves.toBe(account.email);
        await screenshot(page, `${name}-4-keyboard-login`);
        expect(await problems.cspViolations()).toEqual([]);
        expect(problems.pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );

  it(
    "switches theme through --auth-* custom properties and language through lang",
    async () => {
      const { context, problems } = await watchedContext(running.browser);
      try {
        const page = await openDemo(context, url());
        const accent = () =>
          page.locator("auth-login").evaluate((element) => getComputedStyle(element).getPropertyValue("--auth-accent").trim());
        const submitColour = () =>
          page.locator("auth-login button[type=submit]").evaluate((element) => getComputedStyle(element).backgroundColor);
        const before = await submitColour();
        expect(await accent()).toBe("");

        await page.locator("#theme").selectOption("ocean");
        expect(await page.evaluate(() => document.documentElement.className)).toBe("theme-ocean");
        expect(await accent()).toBe("#006d77");
        expect(await submitColour()).toBe("rgb(0, 109, 119)");
        expect(before).not.toBe("rgb(0, 109, 119)");
        // Only classes and custom properties: no element of the page carries a style attribute.
        expect(await page.locator("[style]").count()).toBe(0);

        await page.locator("#lang").selectOption("nl");
        expect(await page.evaluate(() => document.documentElement.lang)).toBe("nl");
        await page.locator("auth-login button[type=submit]", { hasText: "Inloggen" }).waitFor();
        await page.locator("h2", { hasText: "Account aanmaken" }).waitFor();
        await screenshot(page, `${name}-5-ocean-nl`);

        // Every language the elements speak is on the menu; Arabic turns the whole page right to left.
        expect(await page.locator("#lang option").evaluateAll((options) => options.map((o) => o.getAttribute("value")))).toEqual([
          "en",
          "nl",
          "de",
          "fr",
          "es",
          "pt-BR",
          "ar",
        ]);
        await page.locator("#lang").selectOption("ar");
        expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(["ar", "rtl"]);
        await page.locator("auth-login button[type=submit]", { hasText: "تسجيل الدخول" }).waitFor();
        await page.locator("h2", { hasText: "إنشاء حساب" }).waitFor();
        expect(await page.locator("auth-login form").evaluate((form) => getComputedStyle(form).direction)).toBe("rtl");
        expect(await page.locator("header nav").evaluate((nav) => getComputedStyle(nav).direction)).toBe("rtl");
        await screenshot(page, `${name}-6-ocean-ar`);
        await page.locator("#lang").selectOption("en");
        expect(await page.evaluate(() => document.documentElement.dir)).toBe("ltr");

        expect(await problems.cspViolations()).toEqual([]);
        expect(problems.pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );

  it(
    "has no axe-core violations, signed out and signed in",
    async () => {
      const account = newAccount(`e2e-axe-${name}`);
      await createAccount(account.email, account.password);
      const { context } = await watchedContext(running.browser);
      try {
        const page = await openDemo(context, url());
        await gateState(page, "anonymous");
        expect(await axeViolations(page)).toEqual([]);
        await submitAuthForm(page, "auth-login", account.email, account.password);
        await gateState(page, "authenticated");
        await membersHeading(page).waitFor({ state: "visible" });
        await page.locator("#whoami").click();
        await page.locator("#notes-answer", { hasText: account.email }).waitFor({ timeout: 15_000 });
        expect(await axeViolations(page)).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );
});
