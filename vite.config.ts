// Builds dist/auth-elements.js: one minified ES module with the four custom elements, the store
// and the Svelte runtime, plus dist/auth-elements.d.ts (what components/auth-elements.d.ts holds,
// generated afresh from the sources, so that a build never ships stale types).
// dist/ is shared with the server build (dist/server/), so it is never emptied here.
import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig, type Plugin } from "vite";
import { elementPropsPreprocessor } from "./scripts/build/element-props.js";
import { nativeSlotsPreprocessor } from "./scripts/build/native-slots.js";
import { buildManifest, elementSources } from "./scripts/manifest/element-docs.js";
import { publicTypes } from "./scripts/manifest/public-types.js";

const root = fileURLToPath(new URL(".", import.meta.url));

/** components/<tag>/<tag>.svelte with a `@tag` JSDoc: the elements. Other .svelte files are plain components. */
const elementFiles = new Set(elementSources(root));
const isElementSource = (file: string): boolean => elementFiles.has(file.split("?")[0]!);

/**
 * Svelte's compiled custom elements subclass HTMLElement when the module loads, which throws in
 * Node. Guard that one call so `import("auth-elements")` during server-side rendering is harmless;
 * fail the build if Svelte's output changes shape and the guard no longer applies.
 */
function ssrSafeCustomElements(): Plugin {
  const call = "$.create_custom_element(";
  return {
    name: "auth-elements:ssr-safe-custom-elements",
    enforce: "post",
    transform(code, id) {
      if (!isElementSource(id)) return;
      if (!code.includes(call)) this.error(`expected ${call} in the compiled ${id}`);
      return { code: code.replace(call, `typeof HTMLElement == "function" && ${call}`), map: null };
    },
  };
}

function publicTypesFile(): Plugin {
  return {
    name: "auth-elements:types",
    generateBundle() {
      this.emitFile({
        type: "asset",
        fileName: "auth-elements.d.ts",
        source: publicTypes(root, buildManifest(root)),
      });
    },
  };
}

export default defineConfig({
  plugins: [
    svelte({
      // No component has a <style> block: styles are one constructable stylesheet (styles.css,
      // adopted by styles.ts), so nothing is injected that a CSP without 'unsafe-inline' would block.
      compilerOptions: { customElement: true, discloseVersion: false, css: "external" },
      dynamicCompileOptions: ({ filename }) => (isElementSource(filename) ? undefined : { customElement: false }),
      emitCss: false,
      // The elements' attributes come from their @attr JSDoc; their <slot>s stay native.
      preprocess: [elementPropsPreprocessor(isElementSource), nativeSlotsPreprocessor(isElementSource)],
    }),
    ssrSafeCustomElements(),
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
      // Vite keeps whitespace and /*@__PURE__*/ comments in ES library builds for downstream
      // bundlers; this file is also loaded as is by <script type="module">, so it ships minified.
      output: { minify: { codegen: true }, comments: false },
    },
    lib: {
      entry: "components/index.ts",
      formats: ["es"],
      fileName: () => "auth-elements.js",
    },
  },
});
