// The elements' look (styles.css) as one constructable stylesheet: adopted by the document for the
// light-DOM forms and by the shadow roots of <auth-gate> and <auth-logout>. Constructable sheets
// are not subject to CSP `style-src`, so pages with `style-src 'self'` need no 'unsafe-inline'.
// The newer elements bring a second sheet in their chunk (account-styles.css).
import css from "./styles.css?inline";

const sheets = new Map<string, CSSStyleSheet>();

/** Adopts the stylesheet of `text` (default: styles.css) into `root` (the document or a shadow root), once. */
export function adoptStyles(root: Document | ShadowRoot, text = css): void {
  if (typeof CSSStyleSheet !== "function" || !("adoptedStyleSheets" in root)) return;
  let sheet = sheets.get(text);
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    sheets.set(text, sheet);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}
