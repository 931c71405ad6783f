// What every plain-markup demo page shares: the texts of its `data-text` elements, the theme and
// language switches of its header (#theme, #lang), and, where the page has one, the one-line
// session summary (#session-summary: who is signed in and whether their address is confirmed).
import { session } from "auth-elements";
import { applyLang, applyTheme, initialLang, isTheme } from "./preferences.js";
import { isLang, text, type Lang, type TextKey } from "./texts.js";

/** Wires the page's texts and switches; `onLang` runs now and after each language switch. */
export function startChrome(onLang: (lang: Lang) => void = () => undefined): void {
  let lang = initialLang();
  const render = (): void => {
    for (const element of document.querySelectorAll<HTMLElement>("[data-text]")) {
      element.textContent = text(lang, element.dataset.text as TextKey);
    }
    renderSummary(lang);
    onLang(lang);
  };

  const themeSelect = document.querySelector<HTMLSelectElement>("#theme");
  themeSelect?.addEventListener("change", () => {
    if (isTheme(themeSelect.value)) applyTheme(themeSelect.value);
  });
  const langSelect = document.querySelector<HTMLSelectElement>("#lang");
  if (langSelect) {
    langSelect.value = lang;
    langSelect.addEventListener("change", () => {
      if (!isLang(langSelect.value)) return;
      lang = langSelect.value;
      applyLang(lang);
      render();
    });
  }
  render();
  session.subscribe(() => renderSummary(lang));
}

function renderSummary(lang: Lang): void {
  const summary = document.querySelector<HTMLElement>("#session-summary");
  if (!summary) return;
  const { status, user } = session.get();
  if (status === "pending") summary.textContent = text(lang, "pending");
  else if (!user) summary.textContent = text(lang, "signedOutSummary");
  else {
    const verified = user.emailVerified === undefined ? "" : ` (${text(lang, user.emailVerified ? "emailConfirmed" : "emailUnconfirmed")})`;
    summary.textContent = `${text(lang, "signedInSummary")} ${user.email}${verified}.`;
  }
}
