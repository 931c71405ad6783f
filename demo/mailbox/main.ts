// The dev mailbox page (/mailbox, demo only): lists the mails the reference auth service wrote under
// DATA_DIR/mail/, as the demo's front server reads them (GET /mailbox.json), newest first, each with
// its link to follow. It looks again every two seconds, so a mail shows up while the page is open;
// the table is redrawn only when the mails change, so an opened mail text or the focus stays put.
import "../shared/demo.css";
import { startChrome } from "../shared/page-chrome.js";
import type { DevMail, MailboxAnswer } from "../shared/mailbox-answer.js";
import { formatTime, text, type Lang, type TextKey } from "../shared/texts.js";

type Answer = MailboxAnswer | { failed: true };

const POLL_MS = 2_000;
const table = document.getElementById("mailbox") as HTMLTableElement;
const rows = document.getElementById("mails") as HTMLTableSectionElement;
const state = document.getElementById("mailbox-state") as HTMLElement;

let lang: Lang = "en";
let answer: Answer | undefined;
let shown = "";

function cell(...content: (Node | string)[]): HTMLTableCellElement {
  const td = document.createElement("td");
  td.append(...content);
  return td;
}

function row(mail: DevMail): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.kind = mail.kind;
  const time = document.createElement("time");
  time.dateTime = mail.createdAt;
  time.textContent = formatTime(lang, mail.createdAt);
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = mail.subject;
  const body = document.createElement("pre");
  body.setAttribute("aria-label", text(lang, "mailText"));
  body.textContent = mail.text;
  details.append(summary, body);
  const link = document.createElement("a");
  link.href = mail.link;
  link.textContent = mail.link;
  tr.append(cell(time), cell(mail.to), cell(details), cell(link));
  return tr;
}

function render(): void {
  const key: TextKey | undefined = !answer
    ? undefined
    : "failed" in answer
      ? "mailboxFailed"
      : answer.mailbox === "smtp"
        ? "mailboxSmtp"
        : answer.mailbox === "external"
          ? "mailboxExternal"
          : answer.mails.length === 0
            ? "mailboxEmpty"
            : undefined;
  const mails = answer && !("failed" in answer) ? answer.mails : [];
  const now = `${lang} ${key ?? ""} ${mails.map((mail) => mail.id).join(" ")}`;
  if (now === shown) return;
  shown = now;
  state.textContent = key ? text(lang, key) : "";
  table.hidden = mails.length === 0;
  rows.replaceChildren(...mails.map(row));
}

async function poll(): Promise<void> {
  try {
    const response = await fetch("/mailbox.json", { cache: "no-store" });
    answer = response.ok ? ((await response.json()) as Answer) : { failed: true };
  } catch {
    answer = { failed: true };
  }
  render();
  setTimeout(() => void poll(), POLL_MS);
}

startChrome((next) => {
  lang = next;
  render();
});
void poll();
