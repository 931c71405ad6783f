#!/usr/bin/env node
// Size budgets of the shipped elements (design.md, "Size"), each file counted gzip -9:
// dist/auth-elements.js and the files it imports statically (none: the newer elements' chunks
// load when their tags appear), what a page that uses only the four original elements
// downloads, at most 19 KiB; every element file (dist/*.js, dist/chunks/*.js) together at most
// 28 KiB. Locale modules (dist/locales/) are not counted. Builds nothing (run `npm run
// build:elements` first); exits 1 when the entry is missing or a budget is exceeded.
// bench/run.mjs reads ENTRY_BUDGET.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const ENTRY_BUDGET = 19 * 1024;
export const TOTAL_BUDGET = 28 * 1024;

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const ENTRY = "auth-elements.js";

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

function main() {
  if (!fs.existsSync(path.join(dist, ENTRY))) {
    console.error(`${ENTRY}: dist/${ENTRY} not found; run \`npm run build:elements\` first`);
    process.exit(1);
  }
  const sizes = new Map(elementFiles().map((file) => [file, gzipSize(file)]));
  const loaded = [...staticGraph(ENTRY)];
  const entry = loaded.reduce((sum, file) => sum + (sizes.get(file) ?? gzipSize(file)), 0);
  const total = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  const with_ = loaded.length > 1 ? ` with ${loaded.slice(1).join(", ")}` : "";
  console.log(`${ENTRY}${with_}: ${entry} bytes gzip -9 (budget ${ENTRY_BUDGET})`);
  for (const [file, size] of sizes) if (file !== ENTRY) console.log(`${file}: ${size} bytes gzip -9`);
  console.log(`all element files: ${total} bytes gzip -9 (budget ${TOTAL_BUDGET})`);
  let over = false;
  if (entry > ENTRY_BUDGET) {
    console.error(`${ENTRY} is ${entry - ENTRY_BUDGET} bytes over budget`);
    over = true;
  }
  if (total > TOTAL_BUDGET) {
    console.error(`the element files are ${total - TOTAL_BUDGET} bytes over budget`);
    over = true;
  }
  if (over) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
