// Debian's Chromium through playwright-core (no browser is ever downloaded), and what the e2e tests
// watch on every page: CSP violations (a listener installed before any page script runs) and
// uncaught page errors. Also the steps a user takes on the demo pages, shared by every host page.
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../chromium.mjs";
import { root, startDemo, type RunningDemo } from "./demo-process.js";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/**
 * One demo process and one Chromium for the test file that calls this at its top level: started in a
 * `beforeAll`, stopped in an `afterAll`. Read `demo` and `browser` from the result inside tests and hooks.
 */
export function demoAndBrowser(): { readonly demo: RunningDemo; readonly browser: Browser } {
  const running = {} as { demo: RunningDemo; browser: Browser };
  beforeAll(async () => {
    running.demo = await startDemo();
    running.browser = await launchChromium();
  }, 400_000);
  afterAll(async () => {
    await running.browser?.close();
    await running.demo?.stop();
  });
  return running;
}

/** What went wrong on any page of a context: CSP violations and uncaught errors. */
export interface Problems {
  cspViolations(): Promise<string[]>;
  pageErrors: string[];
}

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/** A context whose pages report CSP violations and page errors to the returned Problems. */
export async function watchedContext(
  browser: Browser,
  options: Parameters<Browser["newContext"]>[0] = {},
): Promise<{ context: BrowserContext; problems: Problems }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, ...options });
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolations!.push(
        `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  const pageErrors: string[] = [];
  const watch = (page: Page): void => {
    page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  };
  context.on("page", watch);
  return {
    context,
    problems: {
      pageErrors,
      async cspViolations() {
        const all = await Promise.all(context.pages().map((page) => page.evaluate(() => window.__cspViolations ?? []).catch(() => [])));
        return all.flat();
      },
    },
  };
}

export type GateState = "pending" | "authenticated" | "anonymous";

/** Waits until the page's <auth-gate> shows `state`. */
export async function gateState(page: Page, state: GateState, timeout = 15_000): Promise<void> {
  await page.locator(`auth-gate[state="${state}"]`).waitFor({ state: "attached", timeout });
}

/** Opens `path` of the demo and waits for the first session check to end. */
export async function openDemo(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('auth-gate:is([state="authenticated"], [state="anonymous"])').waitFor({ state: "attached", timeout: 20_000 });
  return page;
}

/** A fresh account's credentials (the reference auth service wants 8+ characters). */
export function newAccount(prefix: string): { email: string; password: string } {
  return {
    email: `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`,
    password: "correct horse battery staple",
  };
}

/** Fills and submits the form of <auth-login> or <auth-signup> like a user, with the mouse. */
export async function submitAuthForm(page: Page, tag: "auth-login" | "auth-signup", email: string, password: string): Promise<void> {
  const form = page.locator(`${tag} form`);
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
}

export const membersHeading = (page: Page): Locator => page.locator("#members-heading");

/** Saves a full-page screenshot as test-results/screenshots/<name>.png (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(root, "test-results/screenshots");
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

const axeSource = (): string => fs.readFileSync(path.join(root, "node_modules/axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core on the page as it is and returns its violations, one line each. axe is evaluated
 * through the DevTools protocol, which the page's CSP does not govern, so the page keeps its policy.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource());
  const { violations, passes } = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: AxeViolation[]; passes: unknown[] }> } }).axe;
    const results = await axe.run(document);
    return { violations: results.violations, passes: results.passes.length };
  });
  if (passes < 10) throw new Error(`axe-core checked almost nothing (${passes} rules passed): is the page empty?`);
  return violations.map(
    (violation) =>
      `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(", ")}`,
  );
}
