// The theme and language switches: both act on <html> only. A theme is a class that demo.css maps
// to --auth-* custom properties (no inline style, which the CSP forbids); the language is `lang`,
// which the elements follow by themselves, and `dir`, so a right-to-left language lays out the
// whole page, the elements within it, right to left.
import { direction, isLang, type Lang, type TextKey } from "./texts.js";

export const THEMES = ["default", "ocean", "contrast"] as const;
export type Theme = (typeof THEMES)[number];

/** Each theme's name in the theme menu. */
export const THEME_TEXT: Record<Theme, TextKey> = { default: "themeDefault", ocean: "themeOcean", contrast: "themeContrast" };

export function isTheme(value: string): value is Theme {
  return (THEMES as readonly string[]).includes(value);
}

export function applyTheme(theme: Theme): void {
  const { classList } = document.documentElement;
  for (const name of THEMES) classList.toggle(`theme-${name}`, name === theme && name !== "default");
}

export function applyLang(lang: Lang): void {
  document.documentElement.lang = lang;
  document.documentElement.dir = direction(lang);
}

/** The page's language when it loads: <html lang>, if it is one the demo speaks. */
export function initialLang(): Lang {
  const { lang } = document.documentElement;
  return isLang(lang) ? lang : "en";
}
