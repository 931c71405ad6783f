// Each element's `customElement.props` (attribute name, type), written from its `@attr`
// JSDoc, the one place an attribute is declared (the build's ownCustomElements, vite.config.ts,
// makes the element from them); the manifest, the typings and the README tables come from the same JSDoc. It refuses a hand-written `props` list, and an attribute
// without its `$props()` entry (or the reverse), so adding one is the JSDoc line plus using it.
import { parse, type PreprocessorGroup } from "svelte/compiler";
import { readElement, type ElementDeclaration } from "../manifest/element-docs.js";

/** One entry of Svelte's `customElement.props`. */
export interface ElementProp {
  attribute?: string;
  type: "String" | "Number" | "Boolean";
}

function propType(type: string | undefined, where: string): ElementProp["type"] {
  if (type === "number") return "Number";
  if (type === "boolean") return "Boolean";
  // `string`, or a union of string literals such as "pending" | "authenticated".
  if (!type || type === "string" || /^"[^"]*"(\s*\|\s*"[^"]*")*$/.test(type)) return "String";
  throw new Error(`${where}: attribute type {${type}} is not string, number, boolean or string literals`);
}

/**
 * The props a host may set through attributes, by property name: every documented attribute but
 * the global ones (`lang`) and the read-only ones, which the element sets itself. Only those are
 * reflected ("Reflected" in the description): the element class writes no attribute from a property.
 */
export function elementProps(element: ElementDeclaration): Record<string, ElementProp> {
  const fields = new Map(element.members.map((member) => [member.name, member]));
  const props: Record<string, ElementProp> = {};
  for (const attribute of element.attributes ?? []) {
    const field = fields.get(attribute.fieldName ?? "");
    if (!field || field.readonly) continue;
    if (/\bReflected\b/.test(attribute.description ?? ""))
      throw new Error(`<${element.tagName}> ${attribute.name}: only a read-only attribute, which the element writes itself, is reflected`);
    props[field.name] = {
      ...(attribute.name !== field.name ? { attribute: attribute.name } : {}),
      type: propType(attribute.type?.text, `<${element.tagName}> ${attribute.name}`),
    };
  }
  return props;
}

/** `props` as the object literal Svelte accepts in `<svelte:options>`: identifier keys, literal values. */
function propsLiteral(props: Record<string, ElementProp>): string {
  const entries = Object.entries(props).map(
    ([name, prop]) =>
      `${name}: { ${Object.entries(prop)
        .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
        .join(", ")} }`,
  );
  return `{ ${entries.join(", ")} }`;
}

/** The names the instance script destructures from `$props()`, but `host`: the element itself (custom-element.svelte.ts). */
function declaredProps(source: string, file: string): string[] {
  const ast = parse(source, { modern: true, filename: file });
  for (const statement of ast.instance?.content.body ?? []) {
    if (statement.type !== "VariableDeclaration") continue;
    for (const declarator of statement.declarations) {
      const init = declarator.init;
      if (init?.type !== "CallExpression" || init.callee.type !== "Identifier" || init.callee.name !== "$props") continue;
      if (declarator.id.type !== "ObjectPattern") throw new Error(`${file}: destructure $props() so its props can be checked`);
      return declarator.id.properties
        .map((property) => {
          if (property.type !== "Property" || property.key.type !== "Identifier") throw new Error(`${file}: name each prop of $props()`);
          return property.key.name;
        })
        .filter((name) => name !== "host");
    }
  }
  return [];
}

/** `source` with the props of its `@attr` JSDoc in `<svelte:options customElement={{…}}>`. */
export function withElementProps(source: string, file: string): string {
  const props = elementProps(readElement(source, file));
  const declared = declaredProps(source, file).sort();
  const documented = Object.keys(props).sort();
  if (declared.join() !== documented.join()) {
    throw new Error(
      `${file}: $props() has ${declared.join(", ") || "nothing"}, the @attr JSDoc documents ${documented.join(", ") || "nothing"}`,
    );
  }
  const literal = propsLiteral(props);
  const options = /<svelte:options\b[\s\S]*?\/?>/.exec(source);
  if (!options) return `${source.trimEnd()}\n\n<svelte:options customElement={{ props: ${literal} }} />\n`;
  if (/\bprops\s*:/.test(options[0]))
    throw new Error(`${file}: customElement.props comes from the @attr JSDoc; remove it from <svelte:options>`);
  // Inserted on the tag's own line, so that the lines of the source keep their numbers.
  const rewritten = /customElement=\{\{/.test(options[0])
    ? options[0].replace(/customElement=\{\{/, `customElement={{ props: ${literal},`)
    : options[0].replace(/^<svelte:options\b/, `<svelte:options customElement={{ props: ${literal} }}`);
  return source.slice(0, options.index) + rewritten + source.slice(options.index + options[0].length);
}

/**
 * `source` without its `<svelte:options customElement>` (the line stays, empty, so that lines keep
 * their numbers): an element compiles as a plain component, which the build makes an element
 * (vite.config.ts, ownCustomElements), since that option would switch Svelte to its own
 * custom-element mode.
 */
export function asPlainComponent(source: string): string {
  return source.replace(/<svelte:options\s+customElement=\{\{[^}]*\}\}\s*\/>/, "");
}

/** The preprocessor of asPlainComponent(), for the element sources `isElement` picks. */
export function plainComponentPreprocessor(isElement: (file: string) => boolean): PreprocessorGroup {
  return {
    name: "auth-elements:plain-component",
    markup: ({ content, filename }) => (filename && isElement(filename) ? { code: asPlainComponent(content) } : undefined),
  };
}
