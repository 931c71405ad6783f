// The demo's event log: which auth-* events a page shows, and how one reads.

/** The auth-* events the pages log: the elements' (they bubble and are composed) and the store's, on `document`. */
export const LOGGED_EVENTS = ["auth-signup", "auth-login", "auth-logout", "auth-error", "auth-session-expired"] as const;

/** One line of the event log. */
export function describeEvent(event: Event): string {
  const detail = (event as CustomEvent<Record<string, unknown>>).detail ?? {};
  const user = detail.user as { email?: string } | undefined;
  const extra = user?.email ?? (detail.code as string | undefined) ?? (detail.reason as string | undefined) ?? "";
  return extra ? `${event.type}: ${extra}` : event.type;
}
