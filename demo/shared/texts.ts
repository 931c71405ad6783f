// The demo pages' own texts in English and Dutch (the elements translate themselves). The three
// host pages share them, so each page says the same thing in the same words.

export type Lang = "en" | "nl";
export const LANGS: readonly Lang[] = ["en", "nl"];

const en = {
  title: "auth-elements demo",
  hostPages: "Demo pages",
  settings: "Settings",
  theme: "Theme",
  themeDefault: "Default",
  themeOcean: "Ocean",
  themeContrast: "High contrast",
  language: "Language",
  sessionHeading: "Session state",
  sessionIntro: "Read from the elements' session store, the same one your framework code can subscribe to.",
  status: "Status",
  statusPending: "checking…",
  statusAuthenticated: "signed in",
  statusAnonymous: "signed out",
  user: "User",
  sessionEnds: "Session ends",
  nobody: "nobody",
  eventsHeading: "Events",
  noEvents: "No events yet.",
  pending: "Checking your session…",
  signInHeading: "Sign in",
  signUpHeading: "Create an account",
  membersHeading: "Members area",
  signedInAs: "You are signed in as",
  notesHeading: "Call the notes service",
  notesIntro: "These requests go through the gateway: the notes service gets a JWT, the browser never does.",
  whoami: "Who am I?",
  loadNotes: "Show my notes",
  answerHeading: "Answer of the notes service",
  noAnswer: "No call made yet.",
  newNote: "New note",
  addNote: "Add note",
  deleteNote: "Delete",
  noNotes: "No notes yet.",
  notesFailed: "The notes service answered",
  accountNav: "Your account",
  mailboxNav: "Dev mailbox",
  signedInSummary: "Signed in as",
  emailConfirmed: "e-mail address confirmed",
  emailUnconfirmed: "e-mail address not confirmed yet",
  signedOutSummary: "Signed out.",
  resetHeading: "Set a new password",
  resetIntro: "Ask for a link here; the link in the mail brings you back to this page to set a new password.",
  verifyHeading: "Confirm your e-mail address",
  verifyIntro: "The link in the verification mail opens this page, which confirms your address at once.",
  accountHeading: "Your account",
  accountIntro: "Where you are signed in, and your password. Changing it signs out your other sessions.",
  mailboxHeading: "Dev mailbox",
  mailboxIntro:
    "The mails the reference auth service wrote to DATA_DIR/mail/, because SMTP_URL is not set. Demo only: their links work for whoever opens them.",
  mailboxEmpty: "No mail yet. Sign up, or ask for a password reset, and its mail shows up here.",
  mailboxSmtp: "Mails go out through SMTP_URL: look in the inbox they are delivered to.",
  mailboxExternal: "An external auth service (AUTH_SERVICE) sends the mails: this page cannot see them.",
  mailboxFailed: "The dev mailbox could not be read.",
  mailboxCaption: "Mails, newest first",
  mailSent: "Sent",
  mailTo: "To",
  mailSubject: "Subject",
  mailLink: "Link",
  mailText: "Text of the mail",
  footer: "Served with Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'.",
};

export type TextKey = keyof typeof en;

const nl: Record<TextKey, string> = {
  title: "auth-elements-demo",
  hostPages: "Demopagina's",
  settings: "Instellingen",
  theme: "Thema",
  themeDefault: "Standaard",
  themeOcean: "Oceaan",
  themeContrast: "Hoog contrast",
  language: "Taal",
  sessionHeading: "Sessiestatus",
  sessionIntro: "Gelezen uit de sessiestore van de elementen, dezelfde waarop je frameworkcode kan abonneren.",
  status: "Status",
  statusPending: "controleren…",
  statusAuthenticated: "ingelogd",
  statusAnonymous: "uitgelogd",
  user: "Gebruiker",
  sessionEnds: "Sessie eindigt",
  nobody: "niemand",
  eventsHeading: "Gebeurtenissen",
  noEvents: "Nog geen gebeurtenissen.",
  pending: "Je sessie wordt gecontroleerd…",
  signInHeading: "Inloggen",
  signUpHeading: "Account aanmaken",
  membersHeading: "Ledengedeelte",
  signedInAs: "Je bent ingelogd als",
  notesHeading: "Roep de notitieservice aan",
  notesIntro: "Deze verzoeken gaan via de gateway: de notitieservice krijgt een JWT, de browser nooit.",
  whoami: "Wie ben ik?",
  loadNotes: "Toon mijn notities",
  answerHeading: "Antwoord van de notitieservice",
  noAnswer: "Nog geen aanroep gedaan.",
  newNote: "Nieuwe notitie",
  addNote: "Notitie toevoegen",
  deleteNote: "Verwijderen",
  noNotes: "Nog geen notities.",
  notesFailed: "De notitieservice antwoordde",
  accountNav: "Je account",
  mailboxNav: "Dev-mailbox",
  signedInSummary: "Ingelogd als",
  emailConfirmed: "e-mailadres bevestigd",
  emailUnconfirmed: "e-mailadres nog niet bevestigd",
  signedOutSummary: "Uitgelogd.",
  resetHeading: "Nieuw wachtwoord instellen",
  resetIntro: "Vraag hier een link aan; de link in de mail brengt je terug naar deze pagina om een nieuw wachtwoord in te stellen.",
  verifyHeading: "Bevestig je e-mailadres",
  verifyIntro: "De link in de bevestigingsmail opent deze pagina, die je adres meteen bevestigt.",
  accountHeading: "Je account",
  accountIntro: "Waar je bent ingelogd, en je wachtwoord. Als je het wijzigt, worden je andere sessies uitgelogd.",
  mailboxHeading: "Dev-mailbox",
  mailboxIntro:
    "De mails die de referentie-authservice in DATA_DIR/mail/ schreef, omdat SMTP_URL niet is ingesteld. Alleen voor de demo: hun links werken voor wie ze opent.",
  mailboxEmpty: "Nog geen mail. Maak een account aan of vraag een wachtwoordherstel aan, en de mail verschijnt hier.",
  mailboxSmtp: "Mails gaan via SMTP_URL de deur uit: kijk in de inbox waar ze bezorgd worden.",
  mailboxExternal: "Een externe authservice (AUTH_SERVICE) verstuurt de mails: deze pagina kan ze niet zien.",
  mailboxFailed: "De dev-mailbox kon niet worden gelezen.",
  mailboxCaption: "Mails, nieuwste eerst",
  mailSent: "Verstuurd",
  mailTo: "Aan",
  mailSubject: "Onderwerp",
  mailLink: "Link",
  mailText: "Tekst van de mail",
  footer: "Geserveerd met Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'.",
};

const texts: Record<Lang, Record<TextKey, string>> = { en, nl };

export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}

/** The text for `key` in `lang`. */
export function text(lang: Lang, key: TextKey): string {
  return texts[lang][key];
}

/** The session status in words. */
export function statusText(lang: Lang, status: "pending" | "authenticated" | "anonymous"): string {
  return text(lang, status === "pending" ? "statusPending" : status === "authenticated" ? "statusAuthenticated" : "statusAnonymous");
}

/** An ISO time as the reader's locale writes it. */
export function formatTime(lang: Lang, iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(lang === "nl" ? "nl-NL" : "en-GB") : "—";
}
