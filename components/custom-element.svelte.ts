// The custom-element class of every element. The elements compile as plain Svelte components, and
// the build makes each one an element with this (vite.config.ts), from its `<svelte:options
// customElement>` and its @attr JSDoc. Svelte's own custom-element mode would wrap the component in
// its Svelte 4 class-component layer for slots, `$on` events and exports, and give every prop
// accessors and a prop() wrapper, none of which our elements use (their slots are native, their
// events DOM events): this mounts the component with `mount()`, its props one `$state` object that
// attributes and properties write to, and `host`, the element itself.
import { mount, unmount, type Component } from "svelte";
import { page } from "./page-state.js";

/** One entry of the `props` that scripts/build/element-props.ts writes from the @attr JSDoc. */
export interface PropDefinition {
  attribute?: string;
  type?: "String" | "Number" | "Boolean";
}

/** An attribute's value as its prop's type; an absent attribute is an absent prop. */
function fromAttribute(value: string | null, type: PropDefinition["type"]): unknown {
  if (type === "Boolean") return value !== null;
  if (value === null) return undefined;
  return type === "Number" ? Number(value) : value;
}

/** The element class of `component`, whose attributes and properties are `definitions`. */
export function createCustomElement(
  component: Component<Record<string, unknown>> & { element?: CustomElementConstructor },
  definitions: Record<string, PropDefinition>,
  shadow?: ShadowRootInit,
): CustomElementConstructor {
  const attributeOf = (name: string): string => (definitions[name]!.attribute ?? name).toLowerCase();
  const propOf: Record<string, string> = Object.fromEntries(Object.keys(definitions).map((name) => [attributeOf(name), name]));

  return (component.element = class AuthElement extends HTMLElement {
    static observedAttributes = Object.keys(propOf);

    static {
      // A property per prop, reading and writing the props (none is reflected: see element-props.ts).
      for (const name of Object.keys(definitions)) {
        Object.defineProperty(this.prototype, name, {
          get(this: AuthElement) {
            return this.#props[name];
          },
          set(this: AuthElement, value: unknown) {
            this.#props[name] = value;
          },
        });
      }
    }

    #props: Record<string, unknown>;
    #app: Record<string, unknown> | undefined;
    #connected = false;

    constructor() {
      super();
      // One reactive object: the component reads its props from it, attributes and properties write to it.
      const props = $state<Record<string, unknown>>({ host: this });
      this.#props = props;
      if (shadow) this.attachShadow(shadow);
      // Properties a host set before the element was defined shadow the accessors: take them over.
      for (const name of Object.keys(definitions)) {
        if (Object.hasOwn(this, name)) {
          const value = (this as unknown as Record<string, unknown>)[name];
          delete (this as unknown as Record<string, unknown>)[name];
          props[name] = value;
        }
      }
    }

    connectedCallback(): void {
      this.#connected = true;
      // A microtask later, as Svelte's does, so that the parser has put the children in; after the
      // locale module the page preloads, if it does (lang.ts), so that the first frame speaks it.
      void Promise.resolve(page.preloading).then(() => {
        if (this.#connected && !this.#app) this.#app = mount(component, { target: this.shadowRoot ?? this, props: this.#props });
      });
    }

    disconnectedCallback(): void {
      this.#connected = false;
      // Also a microtask later: a move within the page disconnects and connects again.
      queueMicrotask(() => {
        if (this.#connected || !this.#app) return;
        void unmount(this.#app);
        this.#app = undefined;
      });
    }

    attributeChangedCallback(attribute: string, _old: string | null, value: string | null): void {
      const name = propOf[attribute]!;
      this.#props[name] = fromAttribute(value, definitions[name]!.type);
    }
  });
}
