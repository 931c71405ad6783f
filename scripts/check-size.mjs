#!/usr/bin/env node
// Size budget of the shipped bundle: dist/auth-elements.js at most 18 KiB after gzip -9.
// Builds nothing (run `npm run build:elements` first); exits 1 when the file is missing or over.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 18 * 1024;
const file = new URL("../dist/auth-elements.js", import.meta.url);

let source;
try {
  source = readFileSync(file);
} catch {
  console.error("auth-elements.js: dist/auth-elements.js not found; run `npm run build:elements` first");
  process.exit(1);
}

// Node's zlib at level 9 lands a few dozen bytes above GNU `gzip -9` (file name in the header
// included), so this is the stricter of the two counts.
const size = gzipSync(source, { level: 9 }).length;
console.log(`auth-elements.js: ${size} bytes gzip -9 (budget ${BUDGET})`);
if (size > BUDGET) {
  console.error(`auth-elements.js is ${size - BUDGET} bytes over budget`);
  process.exit(1);
}
