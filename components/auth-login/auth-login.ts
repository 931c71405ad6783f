// Registers <auth-login> (guarded: a second bundle copy does not throw) and names its types.
import type { AuthLoginElement } from "../auth-elements.js";
import { define } from "../define.js";
import AuthLogin from "./auth-login.svelte";

export type { AuthLoginElement };

/** The element class; undefined where there is no DOM (server-side rendering). */
export const AuthLoginElementClass = (AuthLogin as unknown as { element?: CustomElementConstructor }).element;

define("auth-login", AuthLoginElementClass);
