// Registers <auth-password-reset> (guarded: a second bundle copy does not throw) and names its
// types. The entry imports this module, and with it the element's chunk, the first time the tag
// is in the document (lazy-elements.ts).
import type { AuthPasswordResetElement } from "../auth-elements.js";
import { define } from "../define.js";
import AuthPasswordReset from "./auth-password-reset.svelte";

export type { AuthPasswordResetElement };

/** The element class; undefined where there is no DOM (server-side rendering). */
export const AuthPasswordResetElementClass = (AuthPasswordReset as unknown as { element?: CustomElementConstructor }).element;

define("auth-password-reset", AuthPasswordResetElementClass);
