// The demo pages' own texts in English and Dutch (the elements translate themselves). The three
// host pages share them, so each page says the same thing in the same words.

export type Lang = "en" | "nl";
export const LANGS: readonly Lang[] = ["en", "nl"];

const en = {
  title: "auth-elements demo",
  hostPages: "Host pages",
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
  footer: "Served with Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'.",
};

export type TextKey = keyof typeof en;

const nl: Record<TextKey, string> = {
  title: "auth-elements-demo",
  hostPages: "Hostpagina's",
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
