// Reads the JSDoc block at the top of each element's Svelte source (components/<tag>/<tag>.svelte)
// and turns it into Custom Elements Manifest declarations. @custom-elements-manifest/analyzer only
// parses JS/TS modules, and the elements are .svelte files, so the tags are read here instead.
import fs from "node:fs";
import path from "node:path";
import type {
  Attribute,
  ClassDeclaration,
  ClassField,
  CssCustomProperty,
  CssPart,
  CustomElement,
  Event,
  Package,
  Slot,
} from "custom-elements-manifest/schema.js";

/** A field as CEM schema 2 describes it (`readonly`); schema 1 allows the extra key. */
export type ElementField = ClassField & { readonly?: boolean };
export type ElementDeclaration = Omit<ClassDeclaration & CustomElement, "members"> & { tagName: string; members: ElementField[] };

/** The module every element is defined by: the bundle the package ships. */
export const BUNDLE_MODULE = "dist/auth-elements.js";

/** Attributes every HTML element has: documented per element, but not fields of ours. */
const GLOBAL_ATTRIBUTES = new Set(["lang"]);

interface Tag {
  name: string;
  text: string;
}

/** The first `/** … *\/` block of the source, as its description text and its `@tags`. */
function readBlock(source: string, file: string): { description: string; tags: Tag[] } {
  const match = /\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!match) throw new Error(`${file}: no JSDoc block`);
  const lines = match[1]!.split("\n").map((line) => line.replace(/^\s*\* ?/, "").trimEnd());
  const prose: string[] = [];
  const tags: Tag[] = [];
  for (const line of lines) {
    const tag = /^@(\w+)\s*(.*)$/.exec(line.trim());
    if (tag) tags.push({ name: tag[1]!, text: tag[2]! });
    else if (tags.length && line.trim()) tags.at(-1)!.text += ` ${line.trim()}`;
    else if (!tags.length) prose.push(line.trim());
  }
  const description = prose
    .join("\n")
    .trim()
    .split(/\n{2,}/)
    .map((p) => p.replace(/\n/g, " "))
    .join("\n\n");
  return { description, tags };
}

/** `{type} name - description`, `name - description` or `- description`; types may nest braces. */
function parseTagText(text: string, file: string): { type?: string; name: string; description: string } {
  let rest = text.trim();
  let type: string | undefined;
  if (rest.startsWith("{")) {
    let depth = 0;
    let end = 0;
    for (; end < rest.length; end++) {
      if (rest[end] === "{") depth++;
      else if (rest[end] === "}" && --depth === 0) break;
    }
    if (depth !== 0) throw new Error(`${file}: unbalanced type in "${text}"`);
    type = rest.slice(1, end).trim();
    rest = rest.slice(end + 1).trim();
  }
  const match = /^([^\s]*?)\s*(?:-\s+|$)([\s\S]*)$/.exec(rest);
  if (!match) throw new Error(`${file}: cannot read "${text}"`);
  return { ...(type ? { type } : {}), name: match[1]!, description: match[2]!.trim() };
}

const camelCase = (name: string): string => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
const className = (tag: string): string =>
  `${tag
    .split("-")
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("")}Element`;

/** One element's declaration from its Svelte source. */
export function readElement(source: string, file: string): ElementDeclaration {
  const { description, tags } = readBlock(source, file);
  const one = (name: string): string | undefined => tags.find((tag) => tag.name === name)?.text.trim();
  const tagName = one("tag");
  if (!tagName || !/^[a-z][a-z0-9]*-[a-z0-9-]+$/.test(tagName)) throw new Error(`${file}: missing or invalid @tag`);
  const all = (...names: string[]) => tags.filter((tag) => names.includes(tag.name)).map((tag) => parseTagText(tag.text, file));

  const attributes: Attribute[] = [];
  const members: ElementField[] = [];
  for (const { type, name, description: text } of all("attr", "attribute")) {
    if (!name) throw new Error(`${file}: @attr without a name`);
    const fieldName = GLOBAL_ATTRIBUTES.has(name) ? name : camelCase(name);
    attributes.push({ name, ...(type ? { type: { text: type } } : {}), description: text, fieldName });
    if (GLOBAL_ATTRIBUTES.has(name)) continue;
    members.push({
      kind: "field",
      name: fieldName,
      ...(type ? { type: { text: type } } : {}),
      description: text,
      // "Reflected, read-only": the element sets it; hosts read it.
      ...(/\bread-only\b/i.test(text) ? { readonly: true } : {}),
    });
  }
  const events: Event[] = all("fires", "event").map(({ type, name, description: text }) => ({
    name,
    type: { text: type ?? "CustomEvent" },
    description: text,
  }));
  const slots: Slot[] = all("slot").map(({ name, description: text }) => ({ name, description: text }));
  const cssProperties: CssCustomProperty[] = all("cssprop", "cssproperty").map(({ name, description: text }) => ({
    name,
    description: text,
  }));
  const cssParts: CssPart[] = all("csspart").map(({ name, description: text }) => ({ name, description: text }));

  return {
    kind: "class",
    customElement: true,
    name: className(tagName),
    tagName,
    ...(one("summary") ? { summary: one("summary")! } : {}),
    description,
    superclass: { name: "HTMLElement", package: "global:" },
    attributes,
    members,
    events,
    slots,
    cssProperties,
    cssParts,
  };
}

/** The element sources, in tag order: components/auth-*\/auth-*.svelte. */
export function elementSources(root: string): string[] {
  const components = path.join(root, "components");
  return fs
    .readdirSync(components, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(components, entry.name, `${entry.name}.svelte`)))
    .map((entry) => path.join(components, entry.name, `${entry.name}.svelte`))
    .filter((file) => /@tag\s/.test(fs.readFileSync(file, "utf8").slice(0, 4000)))
    .sort();
}

/** The whole manifest, as dist/custom-elements.json holds it. */
export function buildManifest(root: string): Package {
  const declarations = elementSources(root).map((file) => readElement(fs.readFileSync(file, "utf8"), path.relative(root, file)));
  return {
    schemaVersion: "1.0.0",
    modules: [
      {
        kind: "javascript-module",
        path: BUNDLE_MODULE,
        description:
          "Defines the elements (a second copy of the bundle does not throw; the newer ones load their code from dist/chunks/ when their tag first appears) and exports the shared session store.",
        declarations,
        exports: declarations.map((declaration) => ({
          kind: "custom-element-definition" as const,
          name: declaration.tagName,
          declaration: { name: declaration.name, module: BUNDLE_MODULE },
        })),
      },
    ],
  };
}

/** The element declarations of a manifest (the module layout above). */
export function elementsOf(manifest: Package): ElementDeclaration[] {
  return manifest.modules
    .flatMap((module) => (module.declarations ?? []) as ElementDeclaration[])
    .filter((declaration) => declaration.customElement && declaration.tagName);
}
