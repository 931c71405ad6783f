// The session server's public configuration (GET <endpoint>/config: which account features it
// offers, its shortest password) as a store. Fetched once per page, the first time an element or
// host code needs it (an element with its own `endpoint` asks there), and shared by bundle copies.
import { onStart, type ReadableAtom } from "nanostores";
import type { AuthConfig } from "./auth-elements.js";
import { page } from "./page-state.js";
import { request } from "./session-client.js";
import { endpointFor } from "./session-store.js";

export const config: ReadableAtom<AuthConfig | null> = page.config;

/** Starts the page's one GET <endpoint>/config; after a failure the next call tries again. */
export function loadConfig(endpoint?: string | null): void {
  if (page.configRequest || typeof document === "undefined") return;
  page.configRequest = request<AuthConfig>(endpointFor(endpoint), "/config").then(
    (body) => page.config.set(body),
    () => (page.configRequest = undefined),
  );
}

// Host code that subscribes (useStore(config), config.subscribe) starts the fetch too.
onStart(page.config, () => loadConfig());
