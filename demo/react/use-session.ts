// The elements' session store as React state: one store for the tags and the app alike.
// `session.listen` also starts the page's one session check if no element has yet.
import { useSyncExternalStore } from "react";
import { session, type SessionState } from "auth-elements";

export function useSession(): SessionState {
  return useSyncExternalStore(session.listen, session.get);
}
