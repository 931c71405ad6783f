// The plain HTML host page: the markup is in demo/index.html; this module wires the session
// state, the notes panel and the event log with DOM calls only, and its texts and the theme and
// language switches through page-chrome.ts, like the account pages.
import { session } from "auth-elements";
import "../shared/demo.css";
import { describeEvent, LOGGED_EVENTS } from "../shared/event-log.js";
import { addNote, deleteNote, failure, listNotes, whoami, type Note } from "../shared/notes-api.js";
import { startChrome } from "../shared/page-chrome.js";
import { initialLang } from "../shared/preferences.js";
import { formatTime, statusText, text, type Lang } from "../shared/texts.js";

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let lang: Lang = initialLang();
let notes: Note[] | undefined;

function renderSession(): void {
  const { status, user, expiresAt } = session.get();
  byId("session-status").textContent = statusText(lang, status);
  byId("session-user").textContent = user?.email ?? text(lang, "nobody");
  byId("session-expires").textContent = formatTime(lang, expiresAt);
  byId("members-email").textContent = user?.email ?? "";
  if (status !== "authenticated") {
    notes = undefined;
    byId("notes-answer").textContent = "";
  }
  renderNotes();
}

function renderNotes(): void {
  const list = byId("notes-list");
  list.replaceChildren();
  if (!notes) return;
  if (!notes.length) {
    const empty = document.createElement("li");
    empty.textContent = text(lang, "noNotes");
    list.append(empty);
  }
  for (const note of notes) {
    const item = document.createElement("li");
    const body = document.createElement("span");
    body.textContent = note.text;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "demo quiet";
    remove.textContent = text(lang, "deleteNote");
    remove.setAttribute("aria-label", `${text(lang, "deleteNote")}: ${note.text}`);
    remove.addEventListener("click", () => run(async () => (await deleteNote(note.id), listNotes())));
    item.append(body, remove);
    list.append(item);
  }
}

/** Runs a notes call, then shows the notes it returns, or the failure. */
async function run(call: () => Promise<Note[]>): Promise<void> {
  try {
    notes = await call();
    renderNotes();
  } catch (error) {
    byId("notes-answer").textContent = `${text(lang, "notesFailed")} ${failure(error)}`;
  }
}

byId("whoami").addEventListener("click", async () => {
  try {
    byId("notes-answer").textContent = JSON.stringify(await whoami(), null, 2);
  } catch (error) {
    byId("notes-answer").textContent = `${text(lang, "notesFailed")} ${failure(error)}`;
  }
});
byId("load-notes").addEventListener("click", () => run(listNotes));
byId<HTMLFormElement>("note-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>("note-text");
  const value = input.value.trim();
  if (!value) return;
  void run(async () => (await addNote(value), listNotes())).then(() => (input.value = ""));
});

const log = byId("event-log");
for (const type of LOGGED_EVENTS) {
  document.addEventListener(type, (event) => {
    const item = document.createElement("li");
    item.textContent = describeEvent(event);
    log.prepend(item);
    while (log.children.length > 5) log.lastElementChild!.remove();
  });
}

startChrome((next) => {
  lang = next;
  renderSession();
});
session.subscribe(renderSession);
