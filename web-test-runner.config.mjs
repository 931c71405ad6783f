// Browser tests of the elements: Debian's Chromium (never a downloaded browser), against the built
// bundle dist/auth-elements.js (so run `npm run build:elements` first), with the session server
// replaced by the in-memory mock in test/browser/mock-session-server.mjs.
import { esbuildPlugin } from "@web/dev-server-esbuild";
import { chromeLauncher } from "@web/test-runner-chrome";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./test/chromium.mjs";
import { mockSessionServer } from "./test/browser/mock-session-server.mjs";

export default {
  files: ["components/**/*.test.{js,ts}"],
  nodeResolve: { exportConditions: ["production"] },
  plugins: [esbuildPlugin({ ts: true, target: "es2022" })],
  middleware: [mockSessionServer],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: CHROMIUM_PATH,
        args: CHROMIUM_ARGS,
      },
    }),
  ],
  // Test files share the one mock server (accounts, sessions, the request counter): run one at a
  // time, which also keeps the 2-core machines this runs on responsive.
  concurrency: 1,
  testFramework: { config: { timeout: 10_000 } },
  testsFinishTimeout: 120_000,
};
