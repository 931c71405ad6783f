// Registers <auth-verify-email> (guarded: a second bundle copy does not throw) and names its
// types. The entry imports this module, and with it the element's chunk, the first time the tag
// is in the document (lazy-elements.ts).
import type { AuthVerifyEmailElement } from "../auth-elements.js";
import { define } from "../define.js";
import AuthVerifyEmail from "./auth-verify-email.svelte";

export type { AuthVerifyEmailElement };

/** The element class; undefined where there is no DOM (server-side rendering). */
export const AuthVerifyEmailElementClass = (AuthVerifyEmail as unknown as { element?: CustomElementConstructor }).element;

define("auth-verify-email", AuthVerifyEmailElementClass);
