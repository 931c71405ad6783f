// "Call the notes service": whoami and the notes list through the gateway (apiFetch), in React.
import { useState, type FormEvent } from "react";
import { addNote, deleteNote, failure, listNotes, whoami, type Note } from "../shared/notes-api.js";
import { text, type Lang } from "../shared/texts.js";

export function NotesPanel({ lang }: { lang: Lang }) {
  const [answer, setAnswer] = useState("");
  const [notes, setNotes] = useState<Note[]>();
  const [draft, setDraft] = useState("");

  async function run(call: () => Promise<Note[]>): Promise<boolean> {
    try {
      setNotes(await call());
      return true;
    } catch (error) {
      setAnswer(`${text(lang, "notesFailed")} ${failure(error)}`);
      return false;
    }
  }

  async function askWhoami(): Promise<void> {
    try {
      setAnswer(JSON.stringify(await whoami(), null, 2));
    } catch (error) {
      setAnswer(`${text(lang, "notesFailed")} ${failure(error)}`);
    }
  }

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const value = draft.trim();
    if (value && (await run(async () => (await addNote(value), listNotes())))) setDraft("");
  }

  return (
    <>
      <h3>{text(lang, "notesHeading")}</h3>
      <p>{text(lang, "notesIntro")}</p>
      <div className="actions">
        <button className="demo" type="button" id="whoami" onClick={askWhoami}>
          {text(lang, "whoami")}
        </button>
        <button className="demo" type="button" id="load-notes" onClick={() => run(listNotes)}>
          {text(lang, "loadNotes")}
        </button>
      </div>
      <h4 id="answer-heading">{text(lang, "answerHeading")}</h4>
      <pre id="notes-answer" role="status" aria-labelledby="answer-heading">
        {answer}
      </pre>
      <form className="note-form" id="note-form" onSubmit={submit}>
        <label>
          <span>{text(lang, "newNote")}</span>
          <input
            id="note-text"
            name="text"
            required
            maxLength={2000}
            autoComplete="off"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>
        <button type="submit">{text(lang, "addNote")}</button>
      </form>
      <ul className="notes" id="notes-list">
        {notes?.length === 0 && <li>{text(lang, "noNotes")}</li>}
        {notes?.map((note) => (
          <li key={note.id}>
            <span>{note.text}</span>
            <button
              className="demo quiet"
              type="button"
              aria-label={`${text(lang, "deleteNote")}: ${note.text}`}
              onClick={() => run(async () => (await deleteNote(note.id), listNotes()))}
            >
              {text(lang, "deleteNote")}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
