// `npm start`: builds what is missing or stale, then runs the demo (demo/start-demo.ts).
import { execSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

function newestMtime(dirs, extensions) {
  let newest = 0;
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    if (fs.statSync(dir).isFile()) return void (newest = Math.max(newest, fs.statSync(dir).mtimeMs));
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "dist") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (extensions.some((ext) => entry.name.endsWith(ext))) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  dirs.forEach(walk);
  return newest;
}

function stale(output, dirs, extensions) {
  if (!fs.existsSync(output)) return true;
  return newestMtime(dirs, extensions) > fs.statSync(output).mtimeMs;
}

function run(script) {
  process.stdout.write(`> npm run ${script}\n`);
  execSync(`npm run --silent ${script}`, { stdio: "inherit" });
}

// The server build takes server/ and demo/'s own modules; the host pages under demo/ are build:demo's.
if (stale("dist/server/demo/start-demo.js", ["server", "demo/start-demo.ts", "demo/dev-mailbox.ts", "demo/upstream", "demo/idp"], [".ts"]))
  run("build:server");
if (stale("dist/auth-elements.js", ["components"], [".ts", ".svelte", ".css"])) run("build:elements");
if (
  fs.existsSync("demo/vite.config.ts") &&
  stale("demo/dist/index.html", ["demo", "components"], [".ts", ".tsx", ".vue", ".html", ".css", ".svelte"])
) {
  run("build:demo");
}

await import(path.join(root, "dist/server/demo/start-demo.js"));
