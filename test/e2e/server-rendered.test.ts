// End-to-end: a server-rendered host page (host-server.ts) that asks the session server for the
// session with the visitor's cookie and renders the answer into <meta name="auth-session">, as the
// README's SvelteKit recipe does. In Chromium: the members content is what the first frames and the
// first screenshot show, the page makes no GET /auth/session at load, the re-checks still run, and
// a forged or stale value is corrected at the next check (the gate hides, it never protects).
import type { BrowserContext, Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSessionServer, type TestSessionServer } from "../helpers/session-server.js";
import { launchChromium, newAccount, screenshot, watchedContext } from "./browser.js";
import { buildIfMissing } from "./demo-process.js";
import { startHostServer, type HostServer } from "./host-server.js";

const attribute = (text: string): string => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

const page = (session: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Members</title>` +
  `<meta name="auth-session" content="${attribute(session)}">` +
  `<link rel="stylesheet" href="/page.css"><script type="module" src="/dist/auth-elements.js"></script></head><body>` +
  `<auth-gate><p id="members">Members only</p><p id="guests" slot="anonymous">Please sign in</p>` +
  `<p id="pending" slot="pending">Checking your session…</p></auth-gate></body></html>`;

const FORGED = JSON.stringify({
  authenticated: true,
  user: { id: "forged", email: "forged@example.com" },
  expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
});

/** Records, at every animation frame (just before the browser paints it), which of the gate's parts are visible. */
const recordFrames = (): void => {
  const frames: string[] = [];
  (window as unknown as { __frames: string[] }).__frames = frames;
  const tick = (): void => {
    const shown = ["members", "guests", "pending"].filter((id) => document.getElementById(id)?.checkVisibility());
    frames.push(shown.join("+") || "nothing");
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};

let sessionServer: TestSessionServer;
let host: HostServer;
let browser: Browser;

beforeAll(async () => {
  buildIfMissing();
  sessionServer = await startTestSessionServer();
  host = await startHostServer(
    {
      // The page's server asks the session server itself, with the visitor's cookie (not through the browser).
      "/members": async (request) => {
        const answer = await fetch(new URL("/auth/session", sessionServer.url), { headers: { cookie: request.headers.cookie ?? "" } });
        return page(await answer.text());
      },
      "/forged": page(FORGED),
      "/page.css": "auth-gate:not(:defined) { display: none; }",
    },
    sessionServer.url,
  );
  browser = await launchChromium();
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await sessionServer?.close();
});

const sessionGets = (from: number): number => host.requests.slice(from).filter((request) => request === "GET /auth/session").length;

/** Opens `path` and waits until the network is quiet, so that a session check at load would have been made. */
async function open(context: BrowserContext, path: string): Promise<{ tab: Page; from: number }> {
  const tab = await context.newPage();
  const from = host.requests.length;
  await tab.goto(new URL(path, host.url).href, { waitUntil: "networkidle" });
  return { tab, from };
}

/**
 * What the tab does when it is shown again: the store re-checks the session. Resolves with the
 * status the re-check's answer gave, once the store has adopted it (the store sets a new state
 * for every answer), so the next step cannot race a check still on its way; it never resolves
 * when showing the tab starts no check. Written as page source: vitest would rewrite an import()
 * in a function into its own loader, which the page does not have.
 */
const showAgain = (tab: Page): Promise<string> =>
  tab.evaluate(`import("/dist/auth-elements.js").then(({ session }) => new Promise((resolve) => {
    const stop = session.listen((state) => { stop(); resolve(state.status); });
    document.dispatchEvent(new Event("visibilitychange"));
  }))`);

describe("a server-rendered page with <meta name=auth-session>", () => {
  it("shows the members content from the first frame, makes no GET /auth/session at load, and still re-checks", async () => {
    const { context, problems } = await watchedContext(browser);
    try {
      const account = newAccount("ssr");
      const signup = await context.request.post(new URL("auth/signup", host.url).href, {
        headers: { "x-csrf": "1" },
        data: { email: account.email, password: account.password },
      });
      expect(signup.status()).toBe(201);
      await context.addInitScript(recordFrames);

      const { tab, from } = await open(context, "members");
      await screenshot(tab, "server-rendered-1-first");
      expect(await tab.locator("#members").isVisible()).toBe(true);
      expect(await tab.locator("#guests").isVisible()).toBe(false);
      expect(await tab.locator("#pending").isVisible()).toBe(false);
      expect(await tab.locator("auth-gate").getAttribute("state")).toBe("authenticated");
      expect(await tab.locator('meta[name="auth-session"]').getAttribute("content")).toContain(account.email);
      expect(sessionGets(from)).toBe(0);
      // Every frame painted showed the members content or, before the bundle ran, nothing: never the others.
      const frames = await tab.evaluate(() => (window as unknown as { __frames: string[] }).__frames);
      expect(frames).toContain("members");
      expect(new Set(frames.filter((frame) => frame !== "nothing"))).toEqual(new Set(["members"]));
      expect(frames.slice(frames.indexOf("members"))).not.toContain("nothing");

      // The re-check when the tab is shown again still runs, and agrees.
      expect(await showAgain(tab)).toBe("authenticated");
      expect(sessionGets(from)).toBe(1);
      expect(await tab.locator("auth-gate").getAttribute("state")).toBe("authenticated");

      // Stale: the session ends behind the page's back (signed out elsewhere); the next check says so.
      const logout = await context.request.post(new URL("auth/logout", host.url).href, { headers: { "x-csrf": "1" } });
      expect(logout.ok()).toBe(true);
      const expired = tab.evaluate(
        () =>
          new Promise<string>((resolve) =>
            document.addEventListener("auth-session-expired", (event) => resolve((event as CustomEvent<{ reason: string }>).detail.reason)),
          ),
      );
      expect(await Promise.all([showAgain(tab), expired])).toEqual(["anonymous", "expired"]);
      await tab.locator('auth-gate[state="anonymous"]').waitFor();
      expect(await tab.locator("#guests").isVisible()).toBe(true);
      expect(await tab.locator("#members").isVisible()).toBe(false);

      expect(await problems.cspViolations()).toEqual([]);
      expect(problems.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("corrects a forged signed-in value at the next check, without a session behind it", async () => {
    const { context, problems } = await watchedContext(browser);
    try {
      const { tab, from } = await open(context, "forged");
      // The forged value shows markup the page carried anyway, with no request at load ...
      expect(await tab.locator("auth-gate").getAttribute("state")).toBe("authenticated");
      expect(sessionGets(from)).toBe(0);
      // ... but nothing the server keeps for a session: it finds none.
      const sessions = await tab.evaluate(async () => (await fetch("/auth/sessions", { headers: { "x-csrf": "1" } })).status);
      expect(sessions).toBe(401);

      expect(await showAgain(tab)).toBe("anonymous");
      await tab.locator('auth-gate[state="anonymous"]').waitFor();
      expect(sessionGets(from)).toBe(1);
      expect(await tab.locator("#guests").isVisible()).toBe(true);
      expect(await tab.locator("#members").isVisible()).toBe(false);
      await screenshot(tab, "server-rendered-2-forged-corrected");
      expect(await problems.cspViolations()).toEqual([]);
      expect(problems.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
