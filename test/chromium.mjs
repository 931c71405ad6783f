// Debian's Chromium, the only browser the tests use (nothing may download one), and the flags it
// runs with: headless as root, and no background traffic to hosts this closed network refuses.
// Shared by web-test-runner.config.mjs (the elements) and test/e2e/browser.ts (playwright-core).
export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless=new",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];
