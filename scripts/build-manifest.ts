// `npm run build:manifest`: writes dist/custom-elements.json from the elements' JSDoc, the React,
// Vue and Svelte typings generated from it (dist/react.d.ts, vue.d.ts, svelte.d.ts), the elements'
// part of components/auth-elements.d.ts, and the README's element tables. test/manifest checks
// that none of them is stale.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildManifest } from "./manifest/element-docs.js";
import { frameworkTypes } from "./manifest/framework-types.js";
import { PUBLIC_TYPES, publicTypes } from "./manifest/public-types.js";
import { readmeTables, withTables } from "./manifest/readme-tables.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The manifest file's exact text: stable key order, two-space indent, final newline. */
export const manifestText = (manifest: unknown): string => `${JSON.stringify(manifest, null, 2)}\n`;

function write(file: string, text: string): void {
  const full = path.join(root, file);
  if (fs.existsSync(full) && fs.readFileSync(full, "utf8") === text) return;
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  process.stdout.write(`wrote ${file}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const manifest = buildManifest(root);
  write("dist/custom-elements.json", manifestText(manifest));
  for (const [name, text] of Object.entries(frameworkTypes(manifest))) write(`dist/${name}`, text);
  write(PUBLIC_TYPES, publicTypes(root, manifest));
  write("README.md", withTables(fs.readFileSync(path.join(root, "README.md"), "utf8"), readmeTables(manifest)));
}
