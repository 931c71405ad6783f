// `npm test`: builds, type-checks, lints, then runs every suite (server, auth service, gateway and e2e
// through vitest; the elements in Chromium through web-test-runner; the bundle size budget), and
// prints one summary line: "N passed, N failed".
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
fs.mkdirSync("test-results", { recursive: true });

/** Runs a command with inherited output (and a copy of it kept for parsing); resolves to its exit code. */
function run(label, command, args) {
  process.stdout.write(`\n=== ${label}: ${command} ${args.join(" ")}\n`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
      process.stderr.write(chunk);
    });
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

let passed = 0;
let failed = 0;
const failures = [];

function step(label, result, counts) {
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  if (result.code !== 0) {
    failures.push(label);
    if (!counts || counts.failed === 0) failed += 1; // a step that failed without a failing test still counts
  }
}

const npx = (args) => ["npx", ["--no-install", ...args]];

step("build", await run("build", "npm", ["run", "--silent", "build"]));
step("typecheck", await run("typecheck", ...npx(["tsc", "-p", "tsconfig.json"])));
step("lint", await run("lint (eslint, prettier)", "npm", ["run", "--silent", "lint"]));

const vitestJson = "test-results/vitest.json";
fs.rmSync(vitestJson, { force: true });
const vitest = await run(
  "vitest (server, auth service, gateway, e2e)",
  ...npx(["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile=${vitestJson}`]),
);
let vitestCounts = { passed: 0, failed: 0 };
if (fs.existsSync(vitestJson)) {
  const report = JSON.parse(fs.readFileSync(vitestJson, "utf8"));
  vitestCounts = { passed: report.numPassedTests ?? 0, failed: (report.numFailedTests ?? 0) + (report.numTodoTests ?? 0) };
}
step("vitest", vitest, vitestCounts);

const wtr = await run("web-test-runner (elements in Chromium)", ...npx(["web-test-runner"]));
// eslint-disable-next-line no-control-regex
const wtrPlain = wtr.output.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
const wtrMatch = [...wtrPlain.matchAll(/(\d+) passed, (\d+) failed/g)].pop();
step("web-test-runner", wtr, wtrMatch ? { passed: Number(wtrMatch[1]), failed: Number(wtrMatch[2]) } : undefined);

step("bundle size", await run("bundle size budget", "node", ["scripts/check-size.mjs"]));

process.stdout.write(`\n${failures.length ? `failed steps: ${failures.join(", ")}\n` : ""}`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failures.length ? 1 : 0);
