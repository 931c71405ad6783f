// UI strings and the text for every error and violation code the session server's /auth routes
// return, in English and Dutch (gateway-only codes never reach an element). Elements translate by
// code; unknown codes show `unknown_error`; configure({messages}) overrides or adds languages.
import type { MessageKey, Messages } from "./auth-elements.js";
import { page } from "./page-state.js";

const en: Messages = {
  email_label: "E-mail",
  password_label: "Password",
  login_submit: "Sign in",
  signup_submit: "Create account",
  logout_label: "Sign out",
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
  unknown_error: "Something went wrong. Try again.",
};

const nl: Messages = {
  email_label: "E-mailadres",
  password_label: "Wachtwoord",
  login_submit: "Inloggen",
  signup_submit: "Account aanmaken",
  logout_label: "Uitloggen",
  required: "Vul dit veld in.",
  email_required: "Vul je e-mailadres in.",
  password_required: "Vul je wachtwoord in.",
  invalid_email: "Vul een geldig e-mailadres in.",
  too_short: "Deze waarde is te kort.",
  password_too_short: "Gebruik minstens {min} tekens.",
  too_long: "Deze waarde is te lang.",
  already_used: "Deze waarde is al in gebruik.",
  email_already_used: "Er bestaat al een account met dit e-mailadres.",
  invalid: "Deze waarde is niet geldig.",
  validation_failed: "Controleer de gemarkeerde velden.",
  invalid_credentials: "Onjuist e-mailadres of wachtwoord.",
  rate_limited: "Te veel pogingen. Probeer het over {seconds} s opnieuw.",
  auth_unavailable: "De dienst is niet beschikbaar. Probeer het later opnieuw.",
  auth_timeout: "De dienst is niet beschikbaar: er kwam niet op tijd antwoord. Probeer het later opnieuw.",
  session_store_unavailable: "De dienst is niet beschikbaar. Probeer het zo opnieuw.",
  unauthenticated: "Je bent niet ingelogd.",
  session_expired: "Je sessie is verlopen. Log opnieuw in.",
  bad_request: "Het verzoek kon niet worden verwerkt.",
  payload_too_large: "De invoer is te lang.",
  unsupported_media_type: "Het verzoek kon niet worden verwerkt.",
  csrf_rejected: "Het verzoek is geweigerd. Herlaad de pagina en probeer het opnieuw.",
  internal_error: "Er ging iets mis. Probeer het opnieuw.",
  network_error: "De server is niet bereikbaar. Controleer je verbinding.",
  unknown_error: "Er ging iets mis. Probeer het opnieuw.",
};

export const messages = { en: Object.freeze(en), nl: Object.freeze(nl) };

export function isMessageKey(key: string): key is MessageKey {
  return key in en;
}

/** The text of `key` for `lang` ("nl-BE" uses "nl"), overrides first, English as the last resort. */
export function t(lang: string, key: MessageKey, params?: Record<string, string | number>): string {
  const base = lang.toLowerCase().split("-")[0] ?? "";
  const text =
    page.messages[lang]?.[key] ??
    page.messages[base]?.[key] ??
    (messages as Record<string, Messages>)[base]?.[key] ??
    page.messages.en?.[key] ??
    en[key];
  return text.replace(/\{(\w+)\}/g, (all, name: string) => String(params?.[name] ?? all));
}
