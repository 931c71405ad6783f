// The elements' look (styles.css) as one constructable stylesheet: adopted by the document for the
// light-DOM forms and by the shadow roots of <auth-gate> and <auth-logout>. Constructable sheets
// are not subject to CSP `style-src`, so pages with `style-src 'self'` need no 'unsafe-inline'.
import css from "./styles.css?inline";

let sheet: CSSStyleSheet | undefined;

/** Adopts the stylesheet into `root` (the document or a shadow root), once. */
export function adoptStyles(root: Document | ShadowRoot): void {
  if (typeof CSSStyleSheet !== "function" || !("adoptedStyleSheets" in root)) return;
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}
