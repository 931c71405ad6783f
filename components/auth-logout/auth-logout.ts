// Registers <auth-logout> (guarded: a second bundle copy does not throw) and names its types.
import type { AuthLogoutElement } from "../auth-elements.js";
import { define } from "../define.js";
import AuthLogout from "./auth-logout.svelte";

export type { AuthLogoutElement };

/** The element class; undefined where there is no DOM (server-side rendering). */
export const AuthLogoutElementClass = (AuthLogout as unknown as { element?: CustomElementConstructor }).element;

define("auth-logout", AuthLogoutElementClass);
