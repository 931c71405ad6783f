// The demo's pages, in the order of every page's menu: the four host pages, named after their
// framework in every language, then the account and mailbox pages, named in the reader's language.
// The framework pages render the menu from this list, and so does the build for the plain pages
// (header-html.ts), so a new page is one line here.
import { text, type Lang, type TextKey } from "./texts.js";

export type DemoPage = { href: string } & ({ name: string } | { text: TextKey });

export const DEMO_PAGES: readonly DemoPage[] = [
  { href: "/", name: "Plain HTML" },
  { href: "/react/", name: "React 19" },
  { href: "/vue/", name: "Vue 3" },
  { href: "/svelte/", name: "Svelte 5" },
  { href: "/account", text: "accountNav" },
  { href: "/mailbox", text: "mailboxNav" },
];

export function pageName(lang: Lang, page: DemoPage): string {
  return "text" in page ? text(lang, page.text) : page.name;
}
