// Outgoing mail of the reference auth service: real SMTP through nodemailer when SMTP_URL is set
// (`smtp://user:pass@host:port`, or `smtps://` for TLS from the start), else the dev mailbox: each mail written as
// one JSON file under the mail directory (DATA_DIR/mail/: `{id, kind, to, from, lang, subject, text, html, link,
// createdAt}`, mode 0600) and its link logged once, so `npm start` runs every flow with nothing installed.
// Sends are queued after the answer went out (outbox.ts), so a slow or failing mail server never shows in a timing.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import type { DevMailboxFile, OutgoingMail } from "./mail-file.js";

export interface Mailer {
  /** "smtp://host:port" or "dev mailbox <dir>", for the start-up line; never the credentials. */
  readonly description: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  /** The dev mailbox's directory. */
  mailDir: string;
  /** Where the dev mailbox logs each link. */
  log: (line: string) => void;
}

export function createMailer(options: MailerOptions): Mailer {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    const url = new URL(options.smtpUrl);
    return {
      description: `${url.protocol}//${url.host}`,
      async send(mail) {
        await transport.sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      },
      close: () => transport.close(),
    };
  }
  return {
    description: `dev mailbox ${options.mailDir}`,
    async send(mail) {
      await mkdir(options.mailDir, { recursive: true, mode: 0o700 });
      const createdAt = new Date().toISOString();
      const id = `${createdAt.replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}`;
      const file = path.join(options.mailDir, `${id}.json`);
      const content: DevMailboxFile = { id, from: options.from, ...mail, createdAt };
      await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: "wx" });
      options.log(`dev mailbox: ${mail.kind} mail to ${mail.to}: ${mail.link}`);
    },
    close: () => undefined,
  };
}
