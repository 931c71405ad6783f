// The demo notes service, called through the session server's gateway with apiFetch: the browser
// sends its session cookie and X-CSRF; the gateway swaps it for a JWT that only the service sees.
import { apiFetch } from "auth-elements";

export interface WhoAmI {
  sub: string;
  email: string | null;
  tokenExpiresAt: string;
}

export interface Note {
  id: string;
  text: string;
  createdAt: string;
}

/** A refused call: the HTTP status and the error code of the body. A 401 has already signed the page out. */
export class NotesError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`${status} ${code}`);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await apiFetch(`/api/notes${path}`, init);
  const body = response.status === 204 ? undefined : ((await response.json().catch(() => undefined)) as { error?: string } | undefined);
  if (!response.ok) throw new NotesError(response.status, body?.error ?? "http_error");
  return body as T;
}

export const whoami = (): Promise<WhoAmI> => call<WhoAmI>("/whoami");

export const listNotes = async (): Promise<Note[]> => (await call<{ notes: Note[] }>("/notes")).notes;

export const addNote = (text: string): Promise<Note> =>
  call<Note>("/notes", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });

export const deleteNote = (id: string): Promise<void> => call<void>(`/notes/${encodeURIComponent(id)}`, { method: "DELETE" });

/** What the page shows for a failed call. */
export function failure(error: unknown): string {
  return error instanceof NotesError ? `HTTP ${error.status} (${error.code})` : String(error);
}
