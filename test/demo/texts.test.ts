// The demo's languages and its shared header: the language menus offer every language the elements
// speak (and no other), each with all of the demo's own texts, and the plain pages' header, built
// from one list of pages, marks the page it is on and names each language in itself.
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fillDemoHeaders, headerHtml } from "../../demo/shared/header-html.js";
import { DEMO_PAGES } from "../../demo/shared/pages.js";
import { direction, LANG_NAMES, LANGS, TEXT_KEYS, text } from "../../demo/shared/texts.js";

const elementLocales = readdirSync(path.resolve("components/locales"))
  .filter((name) => name.endsWith(".ts"))
  .map((name) => name.slice(0, -3));

describe("the demo's languages", () => {
  it("are English and every language the elements have a locale module for", () => {
    expect([...LANGS].sort()).toEqual(["en", ...elementLocales].sort());
  });

  it("each have every demo text, none empty, and each its own words for them", () => {
    for (const lang of LANGS) {
      for (const key of TEXT_KEYS) expect(text(lang, key).trim(), `${lang} ${key}`).not.toBe("");
      if (lang !== "en") expect(text(lang, "signInHeading"), lang).not.toBe(text("en", "signInHeading"));
    }
  });

  it("Arabic is written right to left, the others left to right", () => {
    expect(LANGS.filter((lang) => direction(lang) === "rtl")).toEqual(["ar"]);
  });
});

describe("the plain pages' header", () => {
  it("lists every demo page once, marks only the current one, and keeps the page's own heading", () => {
    const html = fillDemoHeaders(
      '<body><header data-demo-header="/mailbox"><span data-text="mailboxHeading">Dev mailbox</span></header></body>',
    );
    expect(html).toContain('· <span data-text="mailboxHeading">Dev mailbox</span></h1>');
    for (const page of DEMO_PAGES) expect(html.split(`<a href="${page.href}"`).length - 1, page.href).toBe(1);
    expect(html.match(/aria-current="page"/g)).toHaveLength(1);
    expect(html).toContain('<a href="/mailbox" aria-current="page" data-text="mailboxNav">Dev mailbox</a>');
    expect(html).not.toContain("data-demo-header");
  });

  it("names each language in itself, with its lang attribute, in the language menu", () => {
    const html = headerHtml("/", "Plain HTML");
    for (const lang of LANGS) expect(html).toContain(`<option value="${lang}" lang="${lang}">${LANG_NAMES[lang]}</option>`);
    expect(html).toContain('<option value="ar" lang="ar">العربية</option>');
  });
});
