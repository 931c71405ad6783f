// Builds dist/auth-elements.js: one minified ES module with the four original custom elements, the
// store and the Svelte runtime; beside it dist/chunks/ (the newer elements and the store's account
// actions, which the entry imports when first needed and which import the runtime back from it)
// and dist/locales/ (one module per language but English, each with its .d.ts); plus dist/auth-elements.d.ts (what
// components/auth-elements.d.ts holds, generated afresh from the sources, so that a build never
// ships stale types). dist/ is shared with the server build (dist/server/), so it is never emptied
// here; only the chunk and locale folders are.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig, type Plugin } from "vite";
import { parse } from "svelte/compiler";
import { plainComponentPreprocessor, withElementProps } from "./scripts/build/element-props.js";
import { nativeSlotsPreprocessor } from "./scripts/build/native-slots.js";
import { buildManifest, elementSources } from "./scripts/manifest/element-docs.js";
import { publicTypes } from "./scripts/manifest/public-types.js";

const root = fileURLToPath(new URL(".", import.meta.url));

/** components/<tag>/<tag>.svelte with a `@tag` JSDoc: the elements. Other .svelte files are plain components. */
const elementFiles = new Set(elementSources(root));
const isElementSource = (file: string): boolean => elementFiles.has(file.split("?")[0]!);

/**
 * The elements compile as plain Svelte components; this makes each one a custom element with ours
 * (components/custom-element.svelte.ts), from its `<svelte:options customElement={{ shadow }}>` and
 * the attributes of its @attr JSDoc (scripts/build/element-props.ts, which also checks them against
 * `$props()`), and only where there is a DOM, so that `import("auth-elements")` during server-side
 * rendering is harmless. Not Svelte's custom-element mode: it would give every prop accessors and
 * a prop() wrapper for its own element class, which ours does not use (the element passes itself
 * to the component as the `host` prop). Fails the build if Svelte's output changes shape.
 */
function ownCustomElements(): Plugin {
  const module = JSON.stringify(path.join(root, "components/custom-element.svelte.ts"));
  return {
    name: "auth-elements:own-custom-elements",
    enforce: "post",
    transform(code, id) {
      if (!isElementSource(id)) return;
      const component = /^export default function (\w+)\(/m.exec(code)?.[1];
      if (!component) this.error(`expected the component function as the default export of the compiled ${id}`);
      const file = id.split("?")[0]!;
      const options = parse(withElementProps(fs.readFileSync(file, "utf8"), file), { modern: true }).options?.customElement;
      if (options?.shadow && options.shadow !== "none" && options.shadow !== "open") this.error(`${id}: shadow is "open" or "none"`);
      const shadow = options?.shadow === "none" ? "" : `, { mode: "open" }`;
      const define = `typeof HTMLElement == "function" && createCustomElement(${component}, ${JSON.stringify(options?.props ?? {})}${shadow});`;
      return { code: `import { createCustomElement } from ${module};\n${code}\n${define}\n`, map: null };
    },
  };
}

/** dist/ is not emptied (the server build lives there too), but stale chunks and locales must go: check-size counts every file in dist/chunks/. */
function freshChunkFolders(): Plugin {
  return {
    name: "auth-elements:fresh-chunk-folders",
    apply: "build",
    buildStart() {
      for (const folder of ["chunks", "locales"]) fs.rmSync(path.join(root, "dist", folder), { recursive: true, force: true });
    },
  };
}

/** The public types, and beside each locale module its own (`import de from "auth-elements/locales/de"`). */
function publicTypesFile(): Plugin {
  return {
    name: "auth-elements:types",
    generateBundle() {
      this.emitFile({
        type: "asset",
        fileName: "auth-elements.d.ts",
        source: publicTypes(root, buildManifest(root)),
      });
      for (const file of fs.readdirSync(path.join(root, "components/locales"))) {
        this.emitFile({
          type: "asset",
          fileName: `locales/${file.replace(/\.ts$/, ".d.ts")}`,
          source: 'import type { Messages } from "../auth-elements.js";\ndeclare const messages: Messages;\nexport default messages;\n',
        });
      }
    },
  };
}

export default defineConfig({
  plugins: [
    svelte({
      // No component has a <style> block: styles are one constructable stylesheet (styles.css,
      // adopted by styles.ts), so nothing is injected that a CSP without 'unsafe-inline' would block.
      compilerOptions: { discloseVersion: false, css: "external" },
      emitCss: false,
      // Every component compiles as a plain one, the elements too (see ownCustomElements); their <slot>s stay native.
      preprocess: [plainComponentPreprocessor(isElementSource), nativeSlotsPreprocessor(isElementSource)],
    }),
    ownCustomElements(),
    freshChunkFolders(),
    publicTypesFile(),
  ],
  // nanostores reads process.env.NODE_ENV; a library build must not leave `process` in the browser.
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: false,
    copyPublicDir: false,
    sourcemap: false,
    minify: "oxc",
    rolldownOptions: {
      // The entry may export internal bindings to the newer elements' chunks, so that what they
      // share with it (the Svelte runtime, the store) stays in the entry instead of a third file.
      preserveEntrySignatures: "allow-extension",
      // Svelte's runtime modules only declare things (no side effects when loaded), but its
      // package.json does not say so: without this, every module its one runtime index re-exports
      // would go into the entry, the ones only the chunks use ({#if}, prop(), …) included, and so
      // would module-level values nothing reads.
      treeshake: { moduleSideEffects: (id: string) => !/[\\/]node_modules[\\/]svelte[\\/]src[\\/]/.test(id) },
      // Vite keeps whitespace and /*@__PURE__*/ comments in ES library builds for downstream
      // bundlers; this file is also loaded as is by <script type="module">, so it ships minified.
      output: {
        minify: { codegen: true },
        comments: false,
        // Stable names (the entry has none either): the newer elements' code, and the locales.
        chunkFileNames: (chunk) => (chunk.facadeModuleId?.includes("/components/locales/") ? "locales/[name].js" : "chunks/[name].js"),
      },
    },
    lib: {
      entry: "components/index.ts",
      formats: ["es"],
      fileName: () => "auth-elements.js",
    },
  },
});
