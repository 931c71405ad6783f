// Svelte preprocessor: keeps the `<slot>`s of the shadow-root elements native. Svelte compiles
// `<slot>` into its own slots, which a custom element fills only with the children present when it
// connects (sveltejs/svelte#13638), and puts the fallback outside the slot. A native `<slot>` lets
// the browser assign content added or changed at any time and shows its fallback when nothing is.
// Svelte's parser takes the tag for its own only when spelt exactly `slot`; spelt in another case,
// it is an ordinary element, which Svelte's template (like any HTML parser) writes as `<slot>`.
import type { PreprocessorGroup } from "svelte/compiler";

const SCRIPT = /<script\b[\s\S]*?<\/script>/g;
const SLOT_TAG = /<(\/?)slot(?=[\s/>])/g;

/** `source` with each markup `<slot>` tag spelt so that Svelte compiles it to a native element. */
export function nativeSlots(source: string, file: string): string {
  if (!/<slot[\s/>]/.test(source.replace(SCRIPT, ""))) return source;
  if (/shadow:\s*["']none["']/.test(source)) throw new Error(`${file}: <slot> needs a shadow root, and this element has none`);
  let markup = "";
  let last = 0;
  for (const script of source.matchAll(SCRIPT)) {
    markup += source.slice(last, script.index).replace(SLOT_TAG, "<$1sLot") + script[0];
    last = script.index + script[0].length;
  }
  return markup + source.slice(last).replace(SLOT_TAG, "<$1sLot");
}

/** The preprocessor, for the element sources `isElement` picks. */
export function nativeSlotsPreprocessor(isElement: (file: string) => boolean): PreprocessorGroup {
  return {
    name: "auth-elements:native-slots",
    markup: ({ content, filename }) => (filename && isElement(filename) ? { code: nativeSlots(content, filename) } : undefined),
  };
}
