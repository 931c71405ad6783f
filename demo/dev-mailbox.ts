// The demo's view of the reference auth service's dev mailbox: the mails it wrote as JSON files under
// DATA_DIR/mail/ (server/auth-service/mail/mailer.ts) when SMTP_URL is unset, newest first, for the
// /mailbox page. Demo only: it hands every reset and verification link, token included, to whoever
// can reach the demo's port, which is why start-demo.ts serves it and the session server never does.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { SHOWN_FIELDS, type DevMail } from "./shared/mailbox-answer.js";

/** At most this many mails, the newest: the page is for following a flow, not an archive. */
const LIMIT = 50;

function asMail(raw: unknown): DevMail | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const fields = raw as Record<string, unknown>;
  if (!SHOWN_FIELDS.every((name) => typeof fields[name] === "string")) return undefined;
  return Object.fromEntries(SHOWN_FIELDS.map((name) => [name, fields[name]])) as DevMail;
}

/** The newest mails of the dev mailbox in `dir`; none when nothing was mailed yet. A file that is not a mail is skipped. */
export async function readDevMailbox(dir: string): Promise<DevMail[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  // File names start with the ISO time of the mail, so the name order is the time order.
  const newest = names
    .filter((name) => name.endsWith(".json"))
    .sort()
    .reverse()
    .slice(0, LIMIT);
  const mails = await Promise.all(
    newest.map(async (name) => {
      try {
        return asMail(JSON.parse(await readFile(path.join(dir, name), "utf8")));
      } catch {
        return undefined; // being written right now, or not a mail
      }
    }),
  );
  return mails.filter((mail): mail is DevMail => mail !== undefined);
}
