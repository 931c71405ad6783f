// dist/custom-elements.json, the typings generated from it (the frameworks' and the elements' part
// of components/auth-elements.d.ts) and the README's element tables must be what
// `npm run build:manifest` makes of the sources today, valid against the Custom Elements Manifest
// schema, and complete: every element, attribute, event, slot and custom property that design.md,
// components/auth-elements.d.ts and components/styles.css say exists.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { Package } from "custom-elements-manifest/schema.js";
import { describe, expect, it } from "vitest";
import { manifestText } from "../../scripts/build-manifest.js";
import { buildManifest, elementsOf, type ElementDeclaration } from "../../scripts/manifest/element-docs.js";
import { frameworkTypes } from "../../scripts/manifest/framework-types.js";
import { PUBLIC_TYPES, publicTypes } from "../../scripts/manifest/public-types.js";
import { readmeTables, tablesIn } from "../../scripts/manifest/readme-tables.js";
import { validate } from "./schema-validator.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file: string): string => fs.readFileSync(path.join(root, file), "utf8");
const REBUILD = "stale: run `npm run build:manifest`";

const fresh = buildManifest(root);
const shipped = (): Package => JSON.parse(read("dist/custom-elements.json")) as Package;
const element = (manifest: Package, tag: string): ElementDeclaration => {
  const found = elementsOf(manifest).find((declaration) => declaration.tagName === tag);
  if (!found) throw new Error(`the manifest has no <${tag}>`);
  return found;
};

/** What design.md's "Elements and store (public API)" promises of each element. */
const DESIGN: Record<string, { attributes: string[]; events: string[]; slots: string[] }> = {
  "auth-login": { attributes: ["endpoint", "lang", "providers", "redirect", "reset-url"], events: ["auth-error", "auth-login"], slots: [] },
  "auth-signup": { attributes: ["endpoint", "lang", "min-password-length"], events: ["auth-signup"], slots: [] },
  "auth-logout": { attributes: ["endpoint", "lang", "redirect"], events: ["auth-logout"], slots: [""] },
  "auth-gate": { attributes: ["endpoint", "redirect", "state"], events: [], slots: ["", "anonymous", "pending"] },
  "auth-password-reset": { attributes: ["endpoint", "lang", "redirect"], events: ["auth-password-reset"], slots: [] },
  "auth-verify-email": { attributes: ["endpoint", "lang"], events: ["auth-email-verified"], slots: [] },
  // Its passkeys section, and the events auth-passkey-added and -removed, come with passkey support.
  "auth-account": {
    attributes: ["endpoint", "lang", "sections"],
    events: ["auth-session-revoked", "auth-passkey-added", "auth-passkey-removed", "auth-password-changed"],
    slots: [],
  },
};

describe("dist/custom-elements.json", () => {
  it("is what the element sources' JSDoc say today", () => {
    expect(fs.existsSync(path.join(root, "dist/custom-elements.json")), REBUILD).toBe(true);
    expect(read("dist/custom-elements.json"), REBUILD).toBe(manifestText(fresh));
  });

  it("is named by package.json and exported", () => {
    const pkg = JSON.parse(read("package.json")) as { customElements: string; exports: Record<string, unknown>; files: string[] };
    expect(pkg.customElements).toBe("dist/custom-elements.json");
    expect(pkg.exports["./custom-elements.json"]).toBe("./dist/custom-elements.json");
    expect(pkg.files).toContain("dist/custom-elements.json");
    // The newer elements' chunks and the locale modules ship beside the entry that loads them.
    expect(pkg.files).toEqual(expect.arrayContaining(["dist/auth-elements.js", "dist/chunks/", "dist/locales/"]));
  });

  it("is valid against the Custom Elements Manifest schema", () => {
    const schema = JSON.parse(read("node_modules/custom-elements-manifest/schema.json")) as Record<string, unknown>;
    expect(validate(shipped(), schema)).toEqual([]);
    // The validator does catch a broken manifest.
    expect(
      validate(
        { schemaVersion: "1.0.0", modules: [{ kind: "javascript-module", path: "x", declarations: [{ kind: "klass", name: "X" }] }] },
        schema,
      ),
    ).not.toEqual([]);
  });

  it("lists the elements with what design.md promises", () => {
    expect(
      elementsOf(fresh)
        .map((declaration) => declaration.tagName)
        .sort(),
    ).toEqual(Object.keys(DESIGN).sort());
    for (const [tag, promised] of Object.entries(DESIGN)) {
      const declaration = element(fresh, tag);
      expect(
        declaration.attributes!.map((attribute) => attribute.name),
        `<${tag}> attributes`,
      ).toEqual(expect.arrayContaining(promised.attributes));
      expect(
        declaration.events!.map((event) => event.name),
        `<${tag}> events`,
      ).toEqual(expect.arrayContaining(promised.events));
      expect(declaration.slots!.map((slot) => slot.name).sort(), `<${tag}> slots`).toEqual(promised.slots);
      for (const part of [...declaration.attributes!, ...declaration.events!, ...declaration.slots!, ...declaration.cssProperties!]) {
        expect(part.description, `<${tag}> ${part.name || "default slot"} is documented`).toBeTruthy();
      }
    }
  });

  it("agrees with the public types in components/auth-elements.d.ts", () => {
    const file = path.join(root, "components/auth-elements.d.ts");
    const program = ts.createProgram([file], {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      types: [],
    });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(file)!;
    const exported = new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).map((symbol) => [symbol.name, symbol]));
    const ownProperties = (name: string): Map<string, boolean> => {
      const symbol = exported.get(name);
      expect(symbol, `auth-elements.d.ts exports ${name}`).toBeDefined();
      const properties = checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol!));
      return new Map(
        properties
          .filter((property) =>
            property.declarations?.some((declaration) => declaration.getSourceFile() === source && ts.isPropertySignature(declaration)),
          )
          .map((property) => [
            property.name,
            property.declarations!.some((declaration) => ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Readonly),
          ]),
      );
    };

    // Every tag of HTMLElementTagNameMap is in the manifest, with the same class name.
    const tagMap = /interface HTMLElementTagNameMap \{([^}]*)\}/.exec(read("components/auth-elements.d.ts"))![1]!;
    const tags = [...tagMap.matchAll(/"(auth-[a-z-]+)": (\w+);/g)].map((match) => [match[1]!, match[2]!] as const);
    expect(tags.map(([tag]) => tag).sort()).toEqual(
      elementsOf(fresh)
        .map((declaration) => declaration.tagName)
        .sort(),
    );

    for (const [tag, className] of tags) {
      const declaration = element(fresh, tag);
      expect(declaration.name).toBe(className);
      const fields = new Map(declaration.members.map((member) => [member.name, member.readonly ?? false]));
      // Each property the types declare is a documented attribute's field, read-only alike; and back.
      expect(Object.fromEntries(fields), `<${tag}> fields vs ${className}`).toEqual(Object.fromEntries(ownProperties(className)));
      for (const attribute of declaration.attributes!) {
        expect(attribute.fieldName === "lang" || fields.has(attribute.fieldName!), `<${tag}> ${attribute.name} has a field`).toBe(true);
      }
    }

    // Every event of AuthElementsEventMap is fired by an element, except the store's own on
    // `document`; and every documented event has a typed detail there.
    const eventMap = checker
      .getPropertiesOfType(checker.getDeclaredTypeOfSymbol(exported.get("AuthElementsEventMap")!))
      .map((property) => property.name);
    const fired = new Set(elementsOf(fresh).flatMap((declaration) => declaration.events!.map((event) => event.name)));
    expect([...fired].sort()).toEqual(eventMap.filter((name) => name !== "auth-session-expired").sort());
  });

  it("documents every --auth-* custom property the stylesheet reads, and only those", () => {
    const used = new Set([...read("components/styles.css").matchAll(/var\((--auth-[\w-]+)/g)].map((match) => match[1]!));
    const documented = new Set(elementsOf(fresh).flatMap((declaration) => declaration.cssProperties!.map((property) => property.name)));
    expect([...documented].sort()).toEqual([...used].sort());
  });
});

describe("generated typings and README", () => {
  it.each(Object.entries(frameworkTypes(shipped())))("dist/%s is generated from the manifest", (name, text) => {
    expect(fs.existsSync(path.join(root, "dist", name)), REBUILD).toBe(true);
    expect(read(`dist/${name}`), REBUILD).toBe(text);
  });

  it(`${PUBLIC_TYPES} is the store types plus the elements' part generated from the manifest`, () => {
    expect(read(PUBLIC_TYPES), REBUILD).toBe(publicTypes(root, fresh));
    // Which the build ships as dist/auth-elements.d.ts.
    expect(fs.existsSync(path.join(root, "dist/auth-elements.d.ts")), "run `npm run build:elements`").toBe(true);
    expect(read("dist/auth-elements.d.ts"), "stale: run `npm run build:elements`").toBe(read(PUBLIC_TYPES));
  });

  it("package.json exports the typings of each framework and the bundle's", () => {
    const pkg = JSON.parse(read("package.json")) as { exports: Record<string, unknown>; types: string; sideEffects: string[] };
    expect(pkg.exports["."]).toEqual({ types: "./dist/auth-elements.d.ts", default: "./dist/auth-elements.js" });
    for (const framework of ["react", "vue", "svelte"])
      expect(pkg.exports[`./${framework}`]).toEqual({ types: `./dist/${framework}.d.ts` });
    expect(pkg.types).toBe("./dist/auth-elements.d.ts");
    // The bundle's own build reads this list too: without ./components/** the modules that only
    // register elements would be tree-shaken out of dist/auth-elements.js.
    // The chunks register elements too.
    expect(pkg.sideEffects).toEqual(["./dist/auth-elements.js", "./dist/chunks/*.js", "./components/**"]);
  });

  it("README.md's element tables say what the manifest says", () => {
    const tables = tablesIn(read("README.md"));
    expect(tables, "README.md has the <!-- manifest:start --> and <!-- manifest:end --> markers").toBeDefined();
    expect(tables, REBUILD).toBe(readmeTables(shipped()));
  });
});
