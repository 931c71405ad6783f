// The header of the plain-markup demo pages (/, /account, /mailbox, /reset-password,
// /verify-email), written into each at build time by demo/vite.config.ts: the title, the menu of
// pages (pages.ts) and the theme and language switches, in English, with `data-text` on every text
// so page-chrome.ts can translate them in the browser. A page says only which page it is and its
// heading: <header data-demo-header="/account"><span data-text="accountHeading">…</span></header>.
import { DEMO_PAGES, pageName } from "./pages.js";
import { THEME_TEXT, THEMES } from "./preferences.js";
import { LANG_NAMES, LANGS, text, type TextKey } from "./texts.js";

const escape = (value: string): string => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** An English text with the key page-chrome.ts translates it by. */
const t = (key: TextKey): string => `data-text="${key}">${escape(text("en", key))}`;

/** The header for the page at `current`, with `headingHtml` (the page's own markup) after the title. */
export function headerHtml(current: string, headingHtml: string): string {
  const links = DEMO_PAGES.map((page) => {
    const currentPage = page.href === current ? ' aria-current="page"' : "";
    const label = "text" in page ? ` ${t(page.text)}` : `>${escape(pageName("en", page))}`;
    return `<li><a href="${page.href}"${currentPage}${label}</a></li>`;
  });
  const themes = THEMES.map((theme) => `<option value="${theme}" ${t(THEME_TEXT[theme])}</option>`);
  const langs = LANGS.map((lang) => `<option value="${lang}" lang="${lang}">${escape(LANG_NAMES[lang])}</option>`);
  return `<header>
      <h1><span ${t("title")}</span> · ${headingHtml}</h1>
      <nav aria-labelledby="nav-label">
        <span id="nav-label" hidden ${t("hostPages")}</span>
        <ul>
          ${links.join("\n          ")}
        </ul>
      </nav>
      <div class="settings" role="group" aria-labelledby="settings-label">
        <span id="settings-label" hidden ${t("settings")}</span>
        <label>
          <span ${t("theme")}</span>
          <select id="theme">
            ${themes.join("\n            ")}
          </select>
        </label>
        <label>
          <span ${t("language")}</span>
          <select id="lang">
            ${langs.join("\n            ")}
          </select>
        </label>
      </div>
    </header>`;
}

/** Every `<header data-demo-header="/path">heading</header>` of `html` made into the full header. */
export function fillDemoHeaders(html: string): string {
  return html.replace(/<header data-demo-header="([^"]*)">([\s\S]*?)<\/header>/g, (_, current: string, heading: string) =>
    headerHtml(current, heading.trim()),
  );
}
