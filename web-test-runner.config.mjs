// Browser tests of the elements: Debian's Chromium (never a downloaded browser), against the built
// bundle dist/auth-elements.js (so run `npm run build:elements` first), with the session server
// replaced by the in-memory mock in test/browser/mock-session-server.mjs.
import { esbuildPlugin } from "@web/dev-server-esbuild";
import { chromeLauncher } from "@web/test-runner-chrome";
import { mockSessionServer } from "./test/browser/mock-session-server.mjs";

export default {
  files: ["components/**/*.test.{js,ts}"],
  nodeResolve: { exportConditions: ["production"] },
  plugins: [esbuildPlugin({ ts: true, target: "es2022" })],
  middleware: [mockSessionServer],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: "/usr/bin/chromium",
        args: [
          "--no-sandbox",
          "--headless=new",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--no-first-run",
          "--disable-sync",
        ],
      },
    }),
  ],
  // Test files share the one mock server (accounts, sessions, the request counter): run one at a
  // time, which also keeps the 2-core machines this runs on responsive.
  concurrency: 1,
  testFramework: { config: { timeout: 10_000 } },
  testsFinishTimeout: 120_000,
};
