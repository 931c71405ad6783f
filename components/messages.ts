// UI strings and the text for every error and violation code the session server's /auth routes
// return (gateway-only codes never reach an element). Elements translate by code; unknown codes
// show `unknown_error`; configure({messages}) overrides or adds languages. English is built in:
// the four original elements' texts here, the newer elements' in their chunks (account-messages.ts
// adds them). Other languages are one module each (locales/), loaded once, the first time an
// element speaks one (dist/locales/<lang>.js): until it arrives the element shows English. A host
// that registers a whole language with configure({messages}) makes its module unneeded.
import type { CoreMessageKey, MessageKey, Messages } from "./auth-elements.js";
import { page } from "./page-state.js";

/** The languages that load on demand, by locale (localeOf: "nl-BE" speaks "nl", every "pt" "pt-BR"). */
const LOCALES: Record<string, () => Promise<{ default: Messages }>> = {
  nl: () => import("./locales/nl.js"),
  de: () => import("./locales/de.js"),
  fr: () => import("./locales/fr.js"),
  es: () => import("./locales/es.js"),
  "pt-BR": () => import("./locales/pt-BR.js"),
  ar: () => import("./locales/ar.js"),
};

type CoreMessages = Record<CoreMessageKey, string>;

const en: CoreMessages = {
  email_label: "E-mail",
  password_label: "Password",
  login_submit: "Sign in",
  signup_submit: "Create account",
  logout_label: "Sign out",
  forgot_password: "Forgot your password?",
  resend_link: "Send the link again",
  link_sent: "If this address needs one, a new link is on its way.",
  check_inbox: "Check your inbox: confirm your e-mail address with the link we sent you, then sign in.",
  required: "Fill in this field.",
  email_required: "Enter your e-mail address.",
  password_required: "Enter your password.",
  invalid_email: "Enter a valid e-mail address.",
  too_short: "This value is too short.",
  password_too_short: "Use at least {min} characters.",
  too_long: "This value is too long.",
  already_used: "This value is already used.",
  email_already_used: "An account with this e-mail address already exists.",
  invalid: "This value is not valid.",
  validation_failed: "Check the marked fields.",
  invalid_credentials: "Wrong e-mail address or password.",
  email_not_verified: "Confirm your e-mail address first, with the link we sent you.",
  rate_limited: "Too many attempts. Try again in {seconds} s.",
  auth_unavailable: "The service is unavailable. Try again later.",
  auth_timeout: "The service is unavailable: it did not answer in time. Try again later.",
  session_store_unavailable: "The service is unavailable. Try again shortly.",
  unauthenticated: "You are not signed in.",
  session_expired: "Your session has ended. Sign in again.",
  bad_request: "The request could not be processed.",
  payload_too_large: "The input is too long.",
  unsupported_media_type: "The request could not be processed.",
  csrf_rejected: "The request was refused. Reload the page and try again.",
  internal_error: "Something went wrong. Try again.",
  network_error: "Cannot reach the server. Check your connection.",
  oidc_denied: "Sign-in cancelled.",
  oidc_failed: "Sign-in failed. Try again.",
  oidc_unavailable: "The service is unavailable. Try again later.",
  continue_with: "Continue with {provider}",
  unknown_error: "Something went wrong. Try again.",
};

export const messages = { en: Object.freeze(en) };

/** The texts by language: English as far as loaded (with the newer elements' once their chunk is in), and the loaded locales. */
const builtIn: Record<string, Partial<Messages> | Promise<void>> = { en: { ...en } };

/** The locale a language tag speaks: its language, the one of Portuguese being Brazilian. */
const localeOf = (lang: string): string => {
  const base = lang.toLowerCase().split("-")[0]!;
  return base === "pt" ? "pt-BR" : base;
};

/** Adds the English texts of an element that loads later (its chunk calls this). */
export function addEnglish(table: Partial<Messages>): void {
  Object.assign(builtIn.en!, table);
}

/**
 * Starts loading the module of `lang`'s locale once; resolves when it is in (undefined: nothing to
 * load, or the host registered every text of the four original elements in that language).
 */
export function loadLocale(lang: string): Promise<void> | undefined {
  const base = localeOf(lang);
  const own = page.messages[base];
  if (builtIn[base] || !LOCALES[base] || (own && Object.keys(en).every((key) => key in own))) return;
  // A module that does not arrive leaves English for the rest of the page's life (no retry loop).
  return (builtIn[base] = LOCALES[base]().then(
    (module) => void (builtIn[base] = module.default),
    () => void (builtIn[base] = {}),
  ));
}

export function isMessageKey(key: string): key is MessageKey {
  return key in builtIn.en!;
}

/** The text of `key` for `lang` ("nl-BE" uses "nl"), overrides first, English as the last resort. */
export function t(lang: string, key: MessageKey, params?: Record<string, string | number>): string {
  const base = localeOf(lang);
  const text =
    page.messages[lang]?.[key] ??
    page.messages[base]?.[key] ??
    (builtIn[base] as Partial<Messages> | undefined)?.[key] ??
    page.messages.en?.[key] ??
    (builtIn.en as Partial<Messages>)[key] ??
    key;
  return text.replace(/\{(\w+)\}/g, (all, name: string) => String(params?.[name] ?? all));
}
