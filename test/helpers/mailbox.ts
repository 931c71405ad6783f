// The mails a test's auth service sent, whichever it is: the in-process reference service's dev mailbox (one JSON
// file per mail under DATA_DIR/mail/), the legacy fixture's `mails`, or a real SMTP server started by the test
// (smtp-server on a free port, every message parsed with mailparser). `next` waits for the next unread mail to an
// address, of a kind, and gives its link and token.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { LegacyAuthService } from "../fixtures/legacy-auth-service.js";
import { freePort } from "./free-port.js";

export type MailKind = "reset" | "verify";

export interface ReceivedMail {
  kind: MailKind;
  to: string;
  link: string;
  token: string;
  /** The mail's language where known (the dev mailbox and SMTP: from the text; legacy: what it was asked). */
  lang?: string | undefined;
  subject?: string;
  text?: string;
  html?: string;
}

export interface Mailbox {
  /** Every mail so far to `to` (any kind when omitted). */
  all(to: string, kind?: MailKind): Promise<ReceivedMail[]>;
  /** The next mail to `to` of `kind` not returned before; rejects after `timeoutMs`. */
  next(to: string, kind: MailKind, timeoutMs?: number): Promise<ReceivedMail>;
}

const tokenOf = (link: string): string => new URL(link).searchParams.get("token") ?? "";

function mailbox(read: () => Promise<ReceivedMail[]>): Mailbox {
  const seen = new Set<string>();
  const keyOf = (mail: ReceivedMail) => `${mail.kind}:${mail.to}:${mail.token}`;
  return {
    async all(to, kind) {
      return (await read()).filter((mail) => mail.to === to.toLowerCase() && (kind === undefined || mail.kind === kind));
    },
    async next(to, kind, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await this.all(to, kind)).find((mail) => !seen.has(keyOf(mail)));
        if (found) {
          seen.add(keyOf(found));
          return found;
        }
        if (Date.now() > deadline) throw new Error(`no ${kind} mail to ${to} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

/** The dev mailbox of a reference auth service: JSON files in `dir`. */
export function devMailbox(dir: string): Mailbox {
  return mailbox(async () => {
    let files: string[];
    try {
      files = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
    } catch {
      return [];
    }
    const mails = await Promise.all(
      files.map(async (name) => JSON.parse(await readFile(path.join(dir, name), "utf8")) as ReceivedMail & { link: string }),
    );
    return mails.map((mail) => ({ ...mail, token: tokenOf(mail.link) }));
  });
}

export function legacyMailbox(service: LegacyAuthService): Mailbox {
  return mailbox(async () =>
    service.mails.map((mail) => ({
      kind: mail.kind,
      to: mail.to,
      link: mail.link,
      token: mail.token,
      lang: mail.lang ?? mail.acceptLanguage,
    })),
  );
}

export interface TestSmtpServer {
  /** `smtp://user:pass@127.0.0.1:<port>` */
  url: string;
  mailbox: Mailbox;
  /** Every message as parsed, with the SMTP envelope. */
  messages: Array<{ from: string; to: string[]; subject: string; text: string; html: string; raw: string }>;
  /** Holds each message this long before accepting it (a slow mail server). */
  delayMs: number;
  close(): Promise<void>;
}

/** A real SMTP server on a free loopback port that requires the given login, keeps every message and parses it. */
export async function startSmtpServer(user = "mailer", pass = "mail-secret"): Promise<TestSmtpServer> {
  const messages: TestSmtpServer["messages"] = [];
  const state = { delayMs: 0 };
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    authOptional: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) callback(null, { user });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        void simpleParser(raw).then(async (parsed) => {
          if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
            raw,
          });
          callback();
        }, callback);
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const result: TestSmtpServer = {
    url: `smtp://${user}:${pass}@127.0.0.1:${port}`,
    messages,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    mailbox: mailbox(async () =>
      messages.map((message) => {
        const link = /https?:\/\/\S+[?&]token=[\w-]+/.exec(message.text)?.[0] ?? "";
        const kind: MailKind = /reset|wachtwoord/i.test(message.subject) ? "reset" : "verify";
        return {
          kind,
          to: message.to[0]!.toLowerCase(),
          link,
          token: tokenOf(link || "http://x/"),
          subject: message.subject,
          text: message.text,
          html: message.html,
        };
      }),
    ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return result;
}
