// `npm run test:types` (and test/types/types.test.ts): compiles the fixtures that use the tags in a
// React 19 TSX file (tsc), a Vue 3 SFC (vue-tsc) and a Svelte 5 component (svelte-check), with
// the typings generated into dist/ by `npm run build:manifest`; checks that markup which must not
// compile does not (svelte-invalid); and type-checks the demo host pages, which use the same typings.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = (name: string): string => path.join(root, "node_modules/.bin", name);

export interface TypeCheck {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** Markup that must fail: the fixture whose `expect-error: <text>` comments name each expected error. */
  expectErrorsIn?: string;
}

export const CHECKS: TypeCheck[] = [
  { name: "React 19 TSX (tsc)", command: bin("tsc"), args: ["-p", "test/types/react/tsconfig.json"], cwd: root },
  { name: "Vue 3 SFC (vue-tsc)", command: bin("vue-tsc"), args: ["-p", "test/types/vue/tsconfig.json"], cwd: root },
  {
    name: "Svelte 5 (svelte-check)",
    command: bin("svelte-check"),
    args: ["--tsconfig", "./tsconfig.json", "--output", "machine", "--fail-on-warnings"],
    cwd: path.join(root, "test/types/svelte"),
  },
  {
    name: "Svelte 5 markup that must not compile (svelte-check)",
    command: bin("svelte-check"),
    args: ["--tsconfig", "./tsconfig.json", "--output", "machine"],
    cwd: path.join(root, "test/types/svelte-invalid"),
    expectErrorsIn: path.join(root, "test/types/svelte-invalid/Invalid.svelte"),
  },
  { name: "demo pages: plain and React (tsc)", command: bin("tsc"), args: ["-p", "demo/tsconfig.json"], cwd: root },
  { name: "demo page: Vue (vue-tsc)", command: bin("vue-tsc"), args: ["-p", "demo/vue/tsconfig.json"], cwd: root },
  {
    name: "demo page: Svelte (svelte-check)",
    command: bin("svelte-check"),
    args: ["--tsconfig", "./tsconfig.json", "--output", "machine", "--fail-on-warnings"],
    cwd: path.join(root, "demo/svelte"),
  },
];

export interface CheckResult {
  ok: boolean;
  output: string;
}

function run(check: TypeCheck): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(check.command, check.args, {
      cwd: check.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: "0" },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** svelte-check's machine output must list exactly the errors the fixture's comments announce. */
function compareExpectedErrors(fixture: string, output: string): CheckResult {
  const lines = fs.readFileSync(fixture, "utf8").split("\n");
  const expected = new Map<number, string>();
  lines.forEach((line, index) => {
    const marker = /<!-- expect-error: (.+?) -->/.exec(line);
    if (marker) expected.set(index + 2, marker[1]!); // the next line, 1-based
  });
  const reported = [...output.matchAll(/^\d+ ERROR "([^"]+)" (\d+):\d+ "((?:[^"\\]|\\.)*)"/gm)].map((match) => ({
    file: match[1]!,
    line: Number(match[2]),
    message: match[3]!.replace(/\\"/g, '"'),
  }));
  const problems: string[] = [];
  for (const [line, text] of expected) {
    if (!reported.some((error) => error.line === line && error.message.includes(text)))
      problems.push(`line ${line}: expected an error mentioning ${text}, got none`);
  }
  for (const error of reported) {
    if (path.basename(fixture) !== path.basename(error.file) || !expected.has(error.line))
      problems.push(`unexpected error ${error.file}:${error.line}: ${error.message}`);
  }
  if (!/COMPLETED/.test(output)) problems.push("svelte-check did not complete");
  return { ok: problems.length === 0 && expected.size > 0, output: problems.length ? `${problems.join("\n")}\n\n${output}` : output };
}

export async function runCheck(check: TypeCheck): Promise<CheckResult> {
  const { code, output } = await run(check);
  if (check.expectErrorsIn) return compareExpectedErrors(check.expectErrorsIn, output);
  return { ok: code === 0, output };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let failed = 0;
  for (const check of CHECKS) {
    const result = await runCheck(check);
    process.stdout.write(`${result.ok ? "ok  " : "FAIL"} ${check.name}\n`);
    if (!result.ok) {
      failed++;
      process.stdout.write(`${result.output.trim()}\n`);
    }
  }
  process.stdout.write(`${CHECKS.length - failed} passed, ${failed} failed\n`);
  process.exit(failed ? 1 : 0);
}
