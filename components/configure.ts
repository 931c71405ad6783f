// Page-wide settings a host sets from code instead of attributes: the endpoint and messages.
import type { ConfigureOptions } from "./auth-elements.js";
import { relabel } from "./lang.js";
import { page } from "./page-state.js";

export function configure(options: ConfigureOptions): void {
  if (options.endpoint !== undefined) page.endpoint = options.endpoint;
  for (const [lang, overrides] of Object.entries(options.messages ?? {})) {
    page.messages[lang] = { ...page.messages[lang], ...overrides };
  }
  if (options.messages && typeof document !== "undefined") relabel();
}
