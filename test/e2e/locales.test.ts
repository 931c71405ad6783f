// End-to-end: the elements' languages in Chromium, on host pages of their own (host-server.ts,
// under the strict CSP) that only set `lang`. Arabic lays the forms out right to left without the
// page setting `dir`, mirrored against English; German, preloaded with <link rel="modulepreload">,
// is one request and shows in the first frame; a locale module that cannot load leaves a working
// English form.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, screenshot, watchedContext } from "./browser.js";
import { buildIfMissing } from "./demo-process.js";
import { startHostServer, type HostServer } from "./host-server.js";

const page = (lang: string, body: string, head = ""): string =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${lang}</title>` +
  `<script type="module" src="/dist/auth-elements.js"></script>${head}</head><body>${body}</body></html>`;

const FORMS = '<auth-login reset-url="/reset"></auth-login><auth-signup></auth-signup>';

/** Records, at every animation frame (just before the browser paints it), the sign-in button's label. */
const recordFrames = (): void => {
  const frames: string[] = [];
  (window as unknown as { __frames: string[] }).__frames = frames;
  const tick = (): void => {
    const label = document.querySelector("auth-login button[type=submit]")?.textContent?.trim();
    if (label) frames.push(label);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};

let host: HostServer;
let browser: Browser;

beforeAll(async () => {
  buildIfMissing();
  host = await startHostServer({
    "/ar.html": page("ar", `${FORMS}<auth-login id="ltr" dir="ltr"></auth-login><auth-login id="english" lang="en"></auth-login>`),
    "/en.html": page("en", FORMS),
    "/de.html": page("de", FORMS, '<link rel="modulepreload" href="/dist/locales/de.js">'),
    "/es.html": page("es", FORMS),
  });
  browser = await launchChromium();
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
});

/** Where the text of `selector`'s first label sits in its form: the gaps to the form's left and right edges, in px. */
function labelGaps(tab: Page, selector: string): Promise<{ left: number; right: number; direction: string }> {
  return tab.locator(`${selector} form`).evaluate((form) => {
    const range = document.createRange();
    range.selectNodeContents(form.querySelector("label")!);
    const text = range.getBoundingClientRect();
    const box = form.getBoundingClientRect();
    return {
      left: Math.round(text.left - box.left),
      right: Math.round(box.right - text.right),
      direction: getComputedStyle(form).direction,
    };
  });
}

describe("the elements' languages", () => {
  it("lay the forms out right to left in Arabic, without the page setting dir, mirrored against English", async () => {
    const { context, problems } = await watchedContext(browser);
    try {
      const tab = await context.newPage();
      await tab.goto(new URL("ar.html", host.url).href);
      const submit = tab.locator("auth-login:not([id]) button[type=submit]");
      await submit.filter({ hasText: "تسجيل الدخول" }).waitFor();
      await tab.locator("auth-signup button[type=submit]", { hasText: "إنشاء حساب" }).waitFor();
      await expect(tab.locator("auth-login:not([id]) label").first().textContent()).resolves.toBe("البريد الإلكتروني");
      await expect(tab.locator("auth-login:not([id]) a.auth-link").textContent()).resolves.toBe("هل نسيت كلمة المرور؟");
      expect(await tab.evaluate(() => document.documentElement.hasAttribute("dir"))).toBe(false);

      // Right to left: the label's text starts at the form's right edge, the inputs type right to left.
      const arabic = await labelGaps(tab, "auth-login:not([id])");
      expect(arabic.direction).toBe("rtl");
      expect(arabic.right).toBeLessThanOrEqual(1);
      expect(arabic.left).toBeGreaterThan(100);
      expect(await tab.locator("auth-signup input[name=email]").evaluate((input) => getComputedStyle(input).direction)).toBe("rtl");
      const link = await tab.locator("auth-login:not([id]) a.auth-link").evaluate((anchor) => {
        const range = document.createRange();
        range.selectNodeContents(anchor);
        return { text: range.getBoundingClientRect().right, form: anchor.closest("form")!.getBoundingClientRect().right };
      });
      expect(Math.abs(link.form - link.text)).toBeLessThanOrEqual(1);
      // An element that sets dir itself keeps it; one in English on this page reads left to right.
      expect((await labelGaps(tab, "#ltr")).direction).toBe("ltr");
      const english = await labelGaps(tab, "#english");
      expect(english.direction).toBe("ltr");
      await expect(tab.locator("#english button[type=submit]").textContent()).resolves.toContain("Sign in");
      await screenshot(tab, "locales-ar-rtl");

      // The same form in English is the mirror image: its label starts at the left edge.
      const en = await context.newPage();
      await en.goto(new URL("en.html", host.url).href);
      await en.locator("auth-login button[type=submit]", { hasText: "Sign in" }).waitFor();
      const ltr = await labelGaps(en, "auth-login");
      expect(ltr.direction).toBe("ltr");
      expect(ltr.left).toBeLessThanOrEqual(1);
      expect(ltr.right).toBeGreaterThan(100);
      await screenshot(en, "locales-en-ltr");

      expect(await problems.cspViolations()).toEqual([]);
      expect(problems.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("load German preloaded with <link rel=modulepreload> in one request, German from the first frame", async () => {
    const { context, problems } = await watchedContext(browser);
    try {
      await context.addInitScript(recordFrames);
      const tab = await context.newPage();
      const before = host.requests.length;
      await tab.goto(new URL("de.html", host.url).href);
      await tab.locator("auth-login button[type=submit]", { hasText: "Anmelden" }).waitFor();
      await tab.locator("auth-signup button[type=submit]", { hasText: "Konto erstellen" }).waitFor();
      await expect(tab.locator("auth-login label").first().textContent()).resolves.toBe("E-Mail-Adresse");
      const locales = host.requests.slice(before).filter((request) => request.includes("/dist/locales/"));
      expect(locales).toEqual(["GET /dist/locales/de.js"]);
      const frames = await tab.evaluate(() => (window as unknown as { __frames: string[] }).__frames);
      expect(frames.length).toBeGreaterThan(0);
      expect(new Set(frames)).toEqual(new Set(["Anmelden"]));
      await screenshot(tab, "locales-de-preloaded");
      expect(await problems.cspViolations()).toEqual([]);
      expect(problems.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("show a working English form when a locale module cannot load", async () => {
    const { context, problems } = await watchedContext(browser);
    try {
      await context.route("**/dist/locales/es.js", (route) => route.abort());
      const tab = await context.newPage();
      await tab.goto(new URL("es.html", host.url).href);
      await tab.locator("auth-login button[type=submit]", { hasText: "Sign in" }).waitFor();
      // It still checks its fields, in English.
      await tab.locator("auth-login button[type=submit]").click();
      await tab.locator("auth-login .auth-error", { hasText: "Enter your e-mail address." }).waitFor();
      expect(problems.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
