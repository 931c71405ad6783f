// What the build makes of the element sources (scripts/build/): each element's attributes are its
// documented @attr lines and written nowhere else, and the <slot>s of its shadow root stay native.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compile, parse } from "svelte/compiler";
import { describe, expect, it } from "vitest";
import { withElementProps } from "../../scripts/build/element-props.js";
import { nativeSlots } from "../../scripts/build/native-slots.js";
import { buildManifest, elementSources, elementsOf } from "../../scripts/manifest/element-docs.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sources = elementSources(root).map((file) => ({ file: path.relative(root, file), source: fs.readFileSync(file, "utf8") }));
const manifest = buildManifest(root);
const tagOf = (source: string): string => /@tag\s+(\S+)/.exec(source)![1]!;

describe("element attributes", () => {
  it.each(sources)("$file declares no props by hand", ({ source }) => {
    expect(parse(source, { modern: true }).options?.customElement?.props).toBeUndefined();
  });

  it.each(sources)("$file observes exactly its documented attributes, with their types", ({ file, source }) => {
    const declaration = elementsOf(manifest).find((element) => element.tagName === tagOf(source))!;
    const readonly = new Set(declaration.members.filter((member) => member.readonly).map((member) => member.name));
    // Every documented attribute but the global `lang` and the ones the element itself sets.
    const settable = declaration.attributes!.filter((attribute) => attribute.name !== "lang" && !readonly.has(attribute.fieldName!));
    const props = parse(withElementProps(source, file), { modern: true }).options!.customElement!.props!;
    const observed = Object.entries(props).map(([name, prop]) => [prop.attribute ?? name, prop.type]);
    const types: Record<string, string> = { number: "Number", boolean: "Boolean" };
    expect(Object.fromEntries(observed)).toEqual(
      Object.fromEntries(settable.map((attribute) => [attribute.name, types[attribute.type?.text ?? ""] ?? "String"])),
    );
    expect(Object.keys(props)).toEqual(settable.map((attribute) => attribute.fieldName));
  });

  it("refuses an attribute without its $props() entry, and a props list by hand", () => {
    const { file, source } = sources.find(({ source }) => tagOf(source) === "auth-signup")!;
    expect(() => withElementProps(source.replace("@attr {string} redirect ", "@attr {string} return-to "), file)).toThrow(
      /\$props\(\) has/,
    );
    expect(() => withElementProps(source.replace('shadow: "none"', 'shadow: "none", props: {}'), file)).toThrow(/from the @attr JSDoc/);
  });
});

describe("native slots", () => {
  it.each(sources.filter(({ source }) => /<slot[\s>]/.test(source)))("$file renders native <slot> elements", ({ file, source }) => {
    const { js } = compile(nativeSlots(withElementProps(source, file), file), { filename: file, customElement: true, generate: "client" });
    // Svelte's own slots compile to $.slot() calls; native ones are part of the static template.
    expect(js.code).not.toMatch(/\$\.slot\(/);
    expect(js.code).toMatch(/<slot[\s>]/);
  });

  it("leaves the scripts alone and refuses a <slot> in a light-DOM element", () => {
    const source = '<script>\n  const html = "<slot>";\n</script>\n<slot name="x"></slot>\n';
    const ast = parse(nativeSlots(source, "x.svelte"), { modern: true });
    expect(ast.instance!.content).toMatchObject({ body: [{ declarations: [{ init: { value: "<slot>" } }] }] });
    expect(ast.fragment.nodes.find((node) => node.type !== "Text")).toMatchObject({ type: "RegularElement" });
    expect(() => nativeSlots(`<svelte:options customElement={{ shadow: "none" }} />\n${source}`, "x.svelte")).toThrow(/shadow root/);
  });
});

describe("registration", () => {
  const read = (file: string): string => fs.readFileSync(path.join(root, file), "utf8");
  const defineModules = (file: string): string[] =>
    [...read(file).matchAll(/^import "\.\/(auth-[a-z-]+)\/\1\.js";$/gm)].map((match) => match[1]!).sort();

  it("defines every element: the four original ones in the entry, the newer ones in the chunk their tags load", () => {
    const eager = defineModules("components/index.ts");
    const later = defineModules("components/account-elements.ts");
    expect(eager).toEqual(["auth-gate", "auth-login", "auth-logout", "auth-signup"]);
    expect([...eager, ...later].sort()).toEqual(sources.map(({ source }) => tagOf(source)).sort());
    // lazy-elements.ts watches for exactly the chunk's tags.
    const watched = /const TAGS = "([^"]+)"/.exec(read("components/lazy-elements.ts"))![1]!.split(",");
    expect(watched.sort()).toEqual(later);
  });
});
