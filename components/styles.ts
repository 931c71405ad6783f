// The elements' look, as one constructable stylesheet: adopted by the document for the light-DOM
// forms and by the shadow roots of <auth-gate> and <auth-logout>. Constructable sheets are not
// subject to CSP `style-src`, so pages with `style-src 'self'` need no 'unsafe-inline'.
// Every colour, size and font comes from a documented --auth-* property with a light and a dark default.
// The empty role="alert" region stays rendered (out of the flow), so that screen readers announce
// text put into it; empty field errors are only referenced by aria-describedby, so they can go.

const css = `
auth-login,auth-signup,:host(auth-logout){--_c:#1f2328;--_b:#fff;--_l:#8c959f;--_a:#0757c7;--_t:#fff;--_e:#b3261e;
--_o:#0757c766;font-family:var(--auth-font,inherit);color:var(--auth-color,var(--_c))}
@media (prefers-color-scheme:dark){auth-login,auth-signup,:host(auth-logout){--_c:#e6edf3;--_b:#0d1117;--_l:#6e7681;
--_a:#4493f8;--_t:#0d1117;--_e:#ff8a80;--_o:#4493f888}}
auth-login,auth-signup{display:block}:host(auth-gate){display:contents}:host(auth-logout){display:inline-block}
.auth-form,.auth-field{display:grid;gap:var(--auth-spacing,.75rem)}.auth-field{gap:calc(var(--auth-spacing,.75rem)/3)}
.auth-form :is(input,button),:host button{font:inherit;border-radius:var(--auth-radius,6px);padding:.5em .75em}
.auth-form input{color:inherit;background:var(--auth-background,var(--_b));border:1px solid var(--auth-border-color,var(--_l))}
.auth-form [aria-invalid=true]{border-color:var(--auth-error-color,var(--_e))}
.auth-form button,:host button{color:var(--auth-accent-text,var(--_t));background:var(--auth-accent,var(--_a));border:1px solid var(--auth-accent,var(--_a));cursor:pointer}
.auth-form :disabled,:host :disabled{opacity:.6;cursor:progress}
.auth-form :focus-visible,:host :focus-visible{outline:0;box-shadow:var(--auth-focus-ring,0 0 0 3px var(--_o))}
.auth-error,.auth-alert{color:var(--auth-error-color,var(--_e));margin:0}.auth-error:empty{display:none}.auth-alert:empty{position:absolute}
`;

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
