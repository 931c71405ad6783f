#!/usr/bin/env node
// Size budgets of the shipped elements (design.md, "Size"), each file counted gzip -9:
// - what a page that loads dist/auth-elements.js and uses only the four original elements downloads
//   at most, 19 KiB: the entry and the files it imports statically (none). Gated.
// - the same page when GET /auth/config offers passkeys or an OpenID Connect provider: <auth-login>
//   then also loads its extras (LOGIN_CHUNKS, with what they import). Printed beside the budget, and
//   said plainly when it is over it: today it is (see the README's Size line), and gating on it would
//   only hide every other check of `npm test`.
// - every element file (dist/*.js, dist/chunks/*.js) together at most 28 KiB. Gated.
// The newer elements' chunks (loaded when their tags appear, or by the account actions) and the
// locale modules (dist/locales/) are not part of the first two counts, and locales of none. Builds
// nothing (run `npm run build:elements` first); exits 1 when a file is missing or a gated budget is
// exceeded. bench/run.mjs reads ENTRY_BUDGET and fourElementsDownload().
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const ENTRY_BUDGET = 19 * 1024;
export const TOTAL_BUDGET = 28 * 1024;

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const ENTRY = "auth-elements.js";
/** The chunks the four original elements import when a page needs them (components/auth-form/auth-form.svelte imports login-extras.ts). */
export const LOGIN_CHUNKS = ["chunks/login-extras.js"];

/** Node's zlib at level 9 lands a few dozen bytes above GNU `gzip -9` (file name in the header included), so this is the stricter of the two counts. */
const gzipSize = (file) => gzipSync(fs.readFileSync(path.join(dist, file)), { level: 9 }).length;

/** The element files of dist/: the entry, its siblings and its chunks, relative to dist/. */
function elementFiles() {
  const js = (folder) =>
    fs.existsSync(path.join(dist, folder))
      ? fs
          .readdirSync(path.join(dist, folder))
          .filter((name) => name.endsWith(".js"))
          .map((name) => path.posix.join(folder, name))
      : [];
  return [...js("."), ...js("chunks")].map((file) => path.posix.normalize(file)).sort();
}

/** `file` and every file it imports statically, transitively (dynamic `import()`s are not followed). */
export function staticGraph(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = fs.readFileSync(path.join(dist, file), "utf8");
  // `import"./x.js"` and `import{…}from"./x.js"` (minified ES modules), not `import("./x.js")`.
  for (const [, specifier] of code.matchAll(/(?:^|[;}\n])\s*(?:import|export)\s*(?:[^;("'`]*?\bfrom\s*)?["'`](\.{1,2}\/[^"'`]+)["'`]/g)) {
    staticGraph(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)), seen);
  }
  return seen;
}

/**
 * The files a page that uses only the four original elements downloads, and their bytes gzip -9
 * together: without <auth-login>'s extras, or (`withExtras`) when the server offers passkeys or a provider.
 */
export function fourElementsDownload({ withExtras = false } = {}) {
  const files = new Set();
  for (const file of [ENTRY, ...(withExtras ? LOGIN_CHUNKS : [])]) staticGraph(file, files);
  return { files: [...files], bytes: [...files].reduce((sum, file) => sum + gzipSize(file), 0) };
}

function main() {
  for (const file of [ENTRY, ...LOGIN_CHUNKS]) {
    if (!fs.existsSync(path.join(dist, file))) {
      console.error(`dist/${file} not found; run \`npm run build:elements\` first`);
      process.exit(1);
    }
  }
  const sizes = new Map(elementFiles().map((file) => [file, gzipSize(file)]));
  const four = fourElementsDownload();
  const withExtras = fourElementsDownload({ withExtras: true });
  const total = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  for (const [file, size] of sizes) console.log(`${file}: ${size} bytes gzip -9`);
  console.log(
    `a page with only the four original elements (${four.files.join(" + ")}): ${four.bytes} bytes gzip -9 (budget ${ENTRY_BUDGET})`,
  );
  const extrasOver = withExtras.bytes - ENTRY_BUDGET;
  console.log(
    `the same page when passkeys or a provider are offered (${withExtras.files.join(" + ")}): ${withExtras.bytes} bytes gzip -9` +
      (extrasOver > 0 ? `, ${extrasOver} bytes over the ${ENTRY_BUDGET} line (not gated: see README, Size)` : ` (within ${ENTRY_BUDGET})`),
  );
  console.log(`all element files: ${total} bytes gzip -9 (budget ${TOTAL_BUDGET})`);
  let over = false;
  if (four.bytes > ENTRY_BUDGET) {
    console.error(`what a page with only the four original elements downloads is ${four.bytes - ENTRY_BUDGET} bytes over budget`);
    over = true;
  }
  if (total > TOTAL_BUDGET) {
    console.error(`the element files are ${total - TOTAL_BUDGET} bytes over budget`);
    over = true;
  }
  if (over) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
