// Dutch: every text of the elements, one module loaded on demand (dist/locales/nl.js) the first
// time an element speaks Dutch; until it arrives, the element shows English. It imports nothing,
// so it costs the entry nothing but its URL.
import type { Messages } from "../auth-elements.js";

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

export default nl;
