// The one way elements and the store announce things: bubbling, composed, object detail, typed.
import type { AuthElementsEventMap } from "./auth-elements.js";

type DetailOf<K extends keyof AuthElementsEventMap> = AuthElementsEventMap[K]["detail"];

/** Dispatches `name` on `target`; returns false when a listener called preventDefault(). */
export function emit<K extends keyof AuthElementsEventMap>(target: EventTarget, name: K, detail: DetailOf<K>): boolean {
  return target.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, cancelable: true, detail }));
}
