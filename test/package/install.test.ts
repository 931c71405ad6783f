// The installable package: `npm pack` ships the built server, the elements, their types and the
// framework typings, and nothing else; the tarball installs into a fresh project with `npm install`;
// `auth-elements serve` and `auth-elements auth-service` (the package's bin) start the two servers;
// and a one-page Vite app that imports the elements, served same-origin by `vite preview` with its
// proxy for /auth and /api (the shape README describes), signs a user in from Chromium.
//
// Kept fast: npm uses its local cache (--prefer-offline), and install scripts are skipped because
// the one native addon, better-sqlite3, is pinned to the version this checkout built and its
// compiled binary is copied in: compiling it again would take a minute and test nothing of ours.
import { execFile } from "node:child_process";
import fs from "node:fs";
import { builtinModules } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../e2e/browser.js";
import { freePort } from "../helpers/free-port.js";
import { builtFromCurrentSources, ROOT, startProcess, type TestProcess } from "../helpers/processes.js";
import { PASSWORD, uniqueEmail } from "../helpers/session-server.js";

const run = promisify(execFile);
const readJson = (file: string): Record<string, any> => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, any>;
const ours = readJson(path.join(ROOT, "package.json"));
const versionOf = (name: string): string => readJson(path.join(ROOT, "node_modules", name, "package.json")).version as string;

let dir: string;
let app: string;
let installed: string;
let packed: string[];
const processes: TestProcess[] = [];
let browser: Browser | undefined;

/** Runs npm (or npx) in `cwd` and returns its stdout. */
async function npm(cwd: string, args: string[], command = "npm"): Promise<string> {
  const { stdout } = await run(command, args, { cwd, env: { ...process.env, npm_config_update_notifier: "false" }, maxBuffer: 16 << 20 });
  return stdout;
}

/** Builds what `npm test` builds first, when it is missing or older than its sources (this file run alone). */
async function buildIfStale(): Promise<void> {
  if (!builtFromCurrentSources(path.join(ROOT, "dist/server/server/cli.js"))) await npm(ROOT, ["run", "--silent", "build:server"]);
  if (!fs.existsSync(path.join(ROOT, "dist/auth-elements.js"))) await npm(ROOT, ["run", "--silent", "build:elements"]);
  if (!fs.existsSync(path.join(ROOT, "dist/react.d.ts"))) await npm(ROOT, ["run", "--silent", "build:manifest"]);
}

beforeAll(async () => {
  await buildIfStale();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-package-"));
  // --ignore-scripts: skip prepack's full rebuild; the build above (or npm test's) is current.
  const [pack] = JSON.parse(await npm(ROOT, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir])) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  packed = pack!.files.map((file) => file.path);

  app = path.join(dir, "app");
  fs.mkdirSync(path.join(app, "src"), { recursive: true });
  fs.writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({
      name: "auth-elements-package-check",
      private: true,
      type: "module",
      dependencies: { "auth-elements": `file:../${pack!.filename}`, vite: versionOf("vite") },
      overrides: { "better-sqlite3": versionOf("better-sqlite3") },
    }),
  );
  fs.writeFileSync(
    path.join(app, "index.html"),
    `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>auth-elements from npm</title><script type="module" src="/src/main.js"></script></head>
  <body>
    <auth-gate>
      <p>Signed in as <span id="who"></span>. <auth-logout>Sign out</auth-logout></p>
      <auth-login slot="anonymous"></auth-login>
      <p slot="pending">Checking your session…</p>
    </auth-gate>
  </body>
</html>
`,
  );
  fs.writeFileSync(
    path.join(app, "src/main.js"),
    `import { session } from "auth-elements";
session.subscribe(({ status, user }) => {
  document.body.dataset.session = status;
  document.getElementById("who").textContent = user?.email ?? "";
});
`,
  );
  // Same origin: vite preview serves the page and proxies /auth and /api to the session server.
  fs.writeFileSync(
    path.join(app, "vite.config.js"),
    `const target = process.env.SESSION_SERVER;
export default { preview: { proxy: { "/auth": { target }, "/api": { target } } } };
`,
  );
  await npm(app, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]);
  installed = path.join(app, "node_modules/auth-elements");
  const addon = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";
  fs.mkdirSync(path.dirname(path.join(app, addon)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, addon), path.join(app, addon));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  for (const child of processes) {
    child.signal("SIGTERM");
    await child.exited;
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships the built server, the elements, their types and the framework typings, and no tests, sources, demo or dev files", () => {
    for (const file of [
      "package.json",
      "README.md",
      "dist/auth-elements.js",
      "dist/auth-elements.d.ts",
      "dist/react.d.ts",
      "dist/vue.d.ts",
      "dist/svelte.d.ts",
      "dist/custom-elements.json",
      "dist/server/server/cli.js",
      "dist/server/server/main.js",
      "dist/server/server/auth-service/main.js",
    ]) {
      expect(packed, file).toContain(file);
    }
    const unwanted = packed.filter(
      (file) =>
        /(^|\/)(test|tests|demo|components|scripts|bench|docs|node_modules|\.ci)\//.test(file) ||
        /\.test\.|\.map$|\.svelte$|tsconfig|eslint|prettier|vite\.config|vitest|web-test-runner|\.editorconfig|\.gitignore/.test(file) ||
        (/\.ts$/.test(file) && !file.endsWith(".d.ts")) ||
        !(file.startsWith("dist/") || ["package.json", "README.md", "LICENSE"].includes(file)),
    );
    expect(unwanted).toEqual([]);
  });

  it("every module the installed server imports is Node's own or one of the package's dependencies", () => {
    const dependencies = new Set(Object.keys(ours.dependencies as Record<string, string>));
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    const serverDir = path.join(installed, "dist/server/server");
    for (const entry of fs.readdirSync(serverDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".js")) continue;
      const text = fs.readFileSync(path.join(entry.parentPath, entry.name), "utf8");
      for (const match of text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s*"([^".][^"]*)"|import\("([^".][^"]*)"\)/gm)) {
        const specifier = (match[1] ?? match[2])!;
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
        if (!specifier.startsWith("node:") && !builtins.has(name) && !dependencies.has(name)) missing.add(specifier);
      }
    }
    expect([...missing]).toEqual([]);
    expect(Object.keys(ours.devDependencies as Record<string, string>).filter((name) => dependencies.has(name))).toEqual([]);
  });

  it("the installed package's exports resolve: the elements and their types, and auth-elements/react, /vue and /svelte", () => {
    const manifest = readJson(path.join(installed, "package.json"));
    const exportsMap = manifest.exports as Record<string, string | Record<string, string>>;
    for (const entry of [".", "./react", "./vue", "./svelte", "./custom-elements.json"]) {
      const target = exportsMap[entry];
      expect(target, entry).toBeDefined();
      for (const file of typeof target === "string" ? [target] : Object.values(target!)) {
        expect(fs.existsSync(path.join(installed, file)), `${entry} → ${file}`).toBe(true);
      }
    }
    expect((exportsMap["."] as Record<string, string>).types).toBe("./dist/auth-elements.d.ts");
    expect(fs.existsSync(path.join(app, "node_modules/.bin/auth-elements"))).toBe(true);
  });
});

describe("installed in a fresh project", () => {
  it("npx auth-elements prints its usage; an unknown command exits 2 with the usage", async () => {
    expect(await npm(app, ["--no-install", "auth-elements", "--help"], "npx")).toMatch(/serve[\s\S]*auth-service/);
    const unknown = await run(path.join(app, "node_modules/.bin/auth-elements"), ["deploy"], { cwd: app }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy"');
  });

  // Three processes, a Vite build and a browser: more than the default 20 s on a busy machine.
  it("a Vite page importing the elements signs in from Chromium against `auth-elements serve` and `auth-elements auth-service`", async () => {
    const bin = path.join(app, "node_modules/.bin/auth-elements");
    const data = path.join(dir, "data");
    const authService = await startProcess(
      "auth-elements auth-service",
      [bin, "auth-service"],
      { AUTH_SERVICE_PORT: "0", DATA_DIR: path.join(data, "auth") },
      /auth service listening on (http:\/\/\S+)/,
      30_000,
      app,
    );
    processes.push(authService);
    const server = await startProcess(
      "auth-elements serve",
      [bin, "serve"],
      {
        PORT: "0",
        AUTH_SERVICE: authService.match[1],
        DATA_DIR: path.join(data, "sessions"),
        SESSION_SECRET: "package-check-secret-0123456789abcdef",
        LOG_LEVEL: "warn",
      },
      /session server listening on (http:\/\/\S+) /,
      30_000,
      app,
    );
    processes.push(server);
    const serverUrl = server.match[1]!;

    await run(process.execPath, [path.join(app, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "error"], { cwd: app });
    const port = await freePort();
    const preview = await startProcess(
      "vite preview",
      [path.join(app, "node_modules/vite/bin/vite.js"), "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
      { SESSION_SERVER: serverUrl },
      /(http:\/\/127\.0\.0\.1:\d+)/,
      30_000,
      app,
    );
    processes.push(preview);
    const pageUrl = `${preview.match[1]}/`;

    const email = uniqueEmail("package");
    const signup = await fetch(`${serverUrl}/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf": "1" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(signup.status).toBe(201);

    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(pageUrl);
    await page.locator('auth-gate[state="anonymous"]').waitFor({ state: "attached", timeout: 15_000 });
    const form = page.locator("auth-login form");
    await form.locator('input[name="email"]').fill(email);
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('button[type="submit"]').click();
    await page.locator('auth-gate[state="authenticated"]').waitFor({ state: "attached", timeout: 15_000 });
    expect(await page.locator("#who").textContent()).toBe(email);
    // The cookie is first-party and HttpOnly: a reload is still signed in, and no script can read it.
    await page.reload();
    await page.locator('auth-gate[state="authenticated"]').waitFor({ state: "attached", timeout: 15_000 });
    expect(await page.evaluate(() => document.cookie)).toBe("");
    await page.locator("auth-logout button").click();
    await page.locator('auth-gate[state="anonymous"]').waitFor({ state: "attached", timeout: 15_000 });
    expect(errors).toEqual([]);
  }, 120_000);
});
