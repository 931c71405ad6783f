// Which language an element speaks: its own `lang`, the closest ancestor's, else the document's.
// One MutationObserver per page tells mounted elements when a `lang` attribute changes.
import type { MessageKey } from "./auth-elements.js";
import { loadLocale, t } from "./messages.js";
import { page } from "./page-state.js";

export function langOf(element: Element): string {
  return element.closest("[lang]")?.getAttribute("lang") || document.documentElement.lang || "en";
}

/**
 * The element's messages in its current language. A new function on every call, so an element that
 * keeps it in state re-renders when watchLang() fires, even if the language itself did not change.
 * A language whose module is not in yet is asked for: it speaks English until then, then relabels.
 */
export function translator(element: Element): (key: MessageKey, params?: Record<string, string | number>) => string {
  const lang = langOf(element);
  loadLocale(lang)?.then(relabel);
  return (key, params) => t(lang, key, params);
}

/** Tells every mounted element to look up its language and messages again. */
export function relabel(): void {
  page.langListeners.forEach((listener) => listener());
}

/** Calls `onChange` whenever a `lang` attribute or the messages change; returns the unsubscribe. */
export function watchLang(onChange: () => void): () => void {
  if (!page.langObserver) {
    page.langObserver = new MutationObserver(relabel);
    page.langObserver.observe(document.documentElement, { attributes: true, attributeFilter: ["lang"], subtree: true });
  }
  page.langListeners.add(onChange);
  return () => page.langListeners.delete(onChange);
}

// A page that preloads a locale module (<link rel="modulepreload" href=".../locales/de.js">) wants
// the document's language from the first frame: the elements mount once that module is in
// (custom-element.svelte.ts), which is moments, as it is fetched already. Without the link,
// nothing waits: the elements speak English until their module arrives.
if (typeof document !== "undefined" && document.querySelector('link[rel=modulepreload][href*="/locales/"]'))
  page.preloading = loadLocale(document.documentElement.lang);
