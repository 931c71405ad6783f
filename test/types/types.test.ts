// The typing tests of test/types/check-types.ts, one test per compiler run: the React, Vue and
// Svelte fixtures and the demo pages compile with the generated typings, and markup that must not
// compile does not. Needs dist/ (npm run build:elements and build:manifest).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { CHECKS, runCheck } from "./check-types.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("typings", () => {
  beforeAll(() => {
    for (const file of ["dist/auth-elements.d.ts", "dist/react.d.ts", "dist/vue.d.ts", "dist/svelte.d.ts"]) {
      expect(fs.existsSync(path.join(root, file)), `${file} exists (npm run build:elements && npm run build:manifest)`).toBe(true);
    }
  });

  // One compiler at a time: each is CPU-heavy and the suites share a small machine.
  it.each(CHECKS.map((check) => [check.name, check] as const))(
    "%s",
    async (_name, check) => {
      const result = await runCheck(check);
      expect(result.ok, result.output).toBe(true);
    },
    180_000,
  );
});
