// What the demo's front server answers on GET /mailbox.json (start-demo.ts, dev-mailbox.ts) and the
// /mailbox page reads (mailbox/main.ts): the fields of each dev mailbox file the page shows.
import type { DevMailboxFile } from "../../server/auth-service/mail/mail-file.js";

/** The fields of a mail file the /mailbox page shows. */
export const SHOWN_FIELDS = [
  "id",
  "kind",
  "to",
  "subject",
  "createdAt",
  "link",
  "text",
] as const satisfies readonly (keyof DevMailboxFile)[];

/** What the /mailbox page shows of one mail. */
export type DevMail = Pick<DevMailboxFile, (typeof SHOWN_FIELDS)[number]>;

/** The mails of the dev mailbox, or which other way the mails go, so the page can say where to look. */
export interface MailboxAnswer {
  mailbox: "dev" | "smtp" | "external";
  mails: DevMail[];
}
