// Registers <auth-gate> (guarded: a second bundle copy does not throw) and names its types.
import type { AuthGateElement } from "../auth-elements.js";
import { define } from "../define.js";
import AuthGate from "./auth-gate.svelte";

export type { AuthGateElement };

/** The element class; undefined where there is no DOM (server-side rendering). */
export const AuthGateElementClass = (AuthGate as unknown as { element?: CustomElementConstructor }).element;

define("auth-gate", AuthGateElementClass);

if (AuthGateElementClass) {
  Object.defineProperty(AuthGateElementClass.prototype, "state", {
    get(this: HTMLElement) {
      return this.getAttribute("state") ?? "pending";
    },
  });
}
