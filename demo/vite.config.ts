// `npm run build:demo`: the four host pages (plain HTML at /, React 19 at /react/, Vue 3 at
// /vue/, Svelte 5 at /svelte/), the account-lifecycle pages (/reset-password, /verify-email,
// /account) and the dev mailbox page (/mailbox) into demo/dist/, served by demo/start-demo.ts under a
// strict CSP. Each page imports "auth-elements" like any host app would; it stays external and loads
// /dist/auth-elements.js, so React, Vue and the page's Svelte never reach the bundle, and every
// page runs the very file the package ships.
import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import react from "@vitejs/plugin-react";
import vue from "@vitejs/plugin-vue";
import { defineConfig, type Plugin } from "vite";
import { fillDemoHeaders } from "./shared/header-html.js";

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** `import … from "auth-elements"` becomes `import … from "/dist/auth-elements.js"`, unbundled. */
function bundleFromServer(): Plugin {
  return {
    name: "auth-elements-demo:bundle-from-server",
    enforce: "pre",
    resolveId(source) {
      if (source === "auth-elements") return { id: "/dist/auth-elements.js", external: "absolute" };
      return undefined;
    },
  };
}

/** The plain pages' shared header (shared/header-html.ts), in dev and build alike. */
function demoHeaders(): Plugin {
  return { name: "auth-elements-demo:headers", transformIndexHtml: fillDemoHeaders };
}

export default defineConfig({
  root: here("."),
  base: "/",
  publicDir: false, // demo/public, if any, is served as is by start-demo.ts
  plugins: [
    bundleFromServer(),
    demoHeaders(),
    react(),
    vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith("auth-") } } }),
    // The Svelte page's own components, compiled as ordinary components (the elements are not).
    svelte({ configFile: false }),
  ],
  build: {
    outDir: here("./dist"),
    emptyOutDir: true,
    target: "es2022",
    // The polyfill would be an inline <script>, which the pages' CSP (script-src 'self') blocks.
    modulePreload: { polyfill: false },
    // No inlined assets: every file is served from 'self', never as a data: URL the CSP would judge.
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: {
        plain: here("./index.html"),
        react: here("./react/index.html"),
        vue: here("./vue/index.html"),
        svelte: here("./svelte/index.html"),
        "reset-password": here("./reset-password/index.html"),
        "verify-email": here("./verify-email/index.html"),
        account: here("./account/index.html"),
        mailbox: here("./mailbox/index.html"),
      },
    },
  },
});
