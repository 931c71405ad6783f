// Registers <auth-signup> (guarded: a second bundle copy does not throw) and names its types.
import type { AuthSignupElement } from "../auth-elements.js";
import { define } from "../define.js";
import AuthSignup from "./auth-signup.svelte";

export type { AuthSignupElement };

/** The element class; undefined where there is no DOM (server-side rendering). */
export const AuthSignupElementClass = (AuthSignup as unknown as { element?: CustomElementConstructor }).element;

define("auth-signup", AuthSignupElementClass);
