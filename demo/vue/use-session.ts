// The elements' session store as a Vue ref: one store for the tags and the app alike.
import { onScopeDispose, shallowRef, type ShallowRef } from "vue";
import { session, type SessionState } from "auth-elements";

export function useSession(): Readonly<ShallowRef<SessionState>> {
  const state = shallowRef(session.get());
  onScopeDispose(session.subscribe((value) => (state.value = value)));
  return state;
}
