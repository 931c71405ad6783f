// Registers <auth-account> (guarded: a second bundle copy does not throw) and names its types.
// The entry imports this module, and with it the element's chunk, the first time the tag is in
// the document (lazy-elements.ts).
import type { AuthAccountElement } from "../auth-elements.js";
import { define } from "../define.js";
import AuthAccount from "./auth-account.svelte";

export type { AuthAccountElement };

/** The element class; undefined where there is no DOM (server-side rendering). */
export const AuthAccountElementClass = (AuthAccount as unknown as { element?: CustomElementConstructor }).element;

define("auth-account", AuthAccountElementClass);
