// The README's element reference: tables of attributes, events, slots, CSS parts and custom
// properties, generated from the manifest and kept between two markers so a test can compare them.
import type { Package } from "custom-elements-manifest/schema.js";
import { elementsOf } from "./element-docs.js";

export const START = "<!-- manifest:start -->";
export const END = "<!-- manifest:end -->";

const cell = (text: string | undefined): string => (text ?? "").replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
const code = (text: string): string => `\`${text.replace(/\|/g, "\\|")}\``;
const tag = (name: string): string => `\`<${name}>\``;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/** Rows with the same name and description, listed once with every element that has them. */
function merged(
  entries: { element: string; name: string; description?: string }[],
): { elements: string[]; name: string; description: string }[] {
  const rows = new Map<string, { elements: string[]; name: string; description: string }>();
  for (const { element, name, description = "" } of entries) {
    const key = `${name}\0${description}`;
    const row = rows.get(key) ?? rows.set(key, { elements: [], name, description }).get(key)!;
    row.elements.push(element);
  }
  return [...rows.values()];
}

/** The markdown between the markers (markers excluded). */
export function readmeTables(manifest: Package): string {
  const elements = elementsOf(manifest);
  const each = <T>(pick: (element: (typeof elements)[number]) => T[] | undefined) =>
    elements.flatMap((element) => (pick(element) ?? []).map((item) => ({ element: element.tagName, item })));

  const sections = [
    "_Generated from `dist/custom-elements.json` by `npm run build:manifest`; edit the JSDoc in `components/auth-*/auth-*.svelte`, not these tables._",
    "### Elements\n\n" +
      table(
        ["element", "summary"],
        elements.map((element) => [tag(element.tagName), cell(element.summary)]),
      ),
    "### Attributes\n\n" +
      table(
        ["element", "attribute", "type", "description"],
        each((element) => element.attributes).map(({ element, item }) => [
          tag(element),
          code(item.name),
          code(item.type?.text ?? "string"),
          cell(item.description),
        ]),
      ),
    "### Events\n\nAll bubble and are composed; `auth-session-expired` (`detail.reason`) is fired on `document` by the store.\n\n" +
      table(
        ["element", "event", "type", "description"],
        each((element) => element.events).map(({ element, item }) => [
          tag(element),
          code(item.name),
          code(item.type.text),
          cell(item.description),
        ]),
      ),
    "### Slots\n\n" +
      table(
        ["element", "slot", "description"],
        each((element) => element.slots).map(({ element, item }) => [
          tag(element),
          item.name ? code(item.name) : "(default)",
          cell(item.description),
        ]),
      ),
    "### CSS parts\n\n" +
      table(
        ["element", "part", "description"],
        each((element) => element.cssParts).map(({ element, item }) => [tag(element), code(item.name), cell(item.description)]),
      ),
    "### CSS custom properties\n\n" +
      table(
        ["property", "elements", "description"],
        merged(
          each((element) => element.cssProperties).map(({ element, item }) => ({
            element,
            name: item.name,
            description: item.description,
          })),
        ).map((row) => [code(row.name), row.elements.map(tag).join(", "), cell(row.description)]),
      ),
  ];
  return `\n${sections.join("\n\n")}\n`;
}

/** `readme` with the text between the markers replaced; throws when the markers are missing. */
export function withTables(readme: string, tables: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md: expected ${START} … ${END}`);
  return readme.slice(0, start + START.length) + tables + readme.slice(end);
}

/** The text between the markers, or undefined without them. */
export function tablesIn(readme: string): string | undefined {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  return start < 0 || end < start ? undefined : readme.slice(start + START.length, end);
}
