// The demo pages' own texts (the elements translate themselves): English here, each other language
// in locales/, one for every language the elements speak (test/demo/texts.test.ts holds the two
// lists equal), so the language menus show what the elements can do. The host pages and the plain
// pages share them, so each page says the same thing in the same words.
import ar from "./locales/ar.js";
import de from "./locales/de.js";
import es from "./locales/es.js";
import fr from "./locales/fr.js";
import nl from "./locales/nl.js";
import ptBR from "./locales/pt-BR.js";

/** The languages of the demo's menus, in their menu order, each named in itself. */
export const LANG_NAMES = {
  en: "English",
  nl: "Nederlands",
  de: "Deutsch",
  fr: "Français",
  es: "Español",
  "pt-BR": "Português (Brasil)",
  ar: "العربية",
} as const;

export type Lang = keyof typeof LANG_NAMES;
export const LANGS = Object.keys(LANG_NAMES) as Lang[];

/** The languages written right to left (the page sets `dir`, the elements follow it). */
const RIGHT_TO_LEFT: ReadonlySet<Lang> = new Set(["ar"]);

export function direction(lang: Lang): "rtl" | "ltr" {
  return RIGHT_TO_LEFT.has(lang) ? "rtl" : "ltr";
}

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
export const TEXT_KEYS = Object.keys(en) as TextKey[];

const texts: Record<Lang, Record<TextKey, string>> = { en, nl, de, fr, es, "pt-BR": ptBR, ar };

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
  return iso ? new Date(iso).toLocaleString(lang === "en" ? "en-GB" : lang) : "—";
}
