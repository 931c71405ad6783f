// Registers a custom element once: a second copy of the bundle, or a host that defined the tag
// first, must not make the page throw. No-op where there is no DOM (server-side rendering).

export function define(tag: string, element: CustomElementConstructor | undefined): void {
  if (typeof customElements === "undefined" || !element || customElements.get(tag)) return;
  customElements.define(tag, element);
}
