// The shapes of one mail: what the account flows hand the mailer (mailer.ts), and the dev mailbox's
// JSON file of it. Types only, so that the demo's /mailbox page, browser code, reads the same shape.
import type { MailKind, MailLanguage } from "./messages.js";

export interface OutgoingMail {
  kind: MailKind;
  to: string;
  lang: MailLanguage;
  subject: string;
  text: string;
  html: string;
  /** The link the mail carries (with its token). */
  link: string;
}

/** One mail of the dev mailbox (DATA_DIR/mail/<id>.json, when SMTP_URL is unset). */
export interface DevMailboxFile extends OutgoingMail {
  id: string;
  from: string;
  /** ISO time; the file's name starts with it, so the name order is the time order. */
  createdAt: string;
}
