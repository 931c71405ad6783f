// What a form shows when the session server refuses it, for every form of the elements
// (<auth-login>, <auth-signup> and the newer ones'): the server's violations at the form's fields
// (as `<field>_<code>` where that text exists, else `<code>`), the rest as one note for the form,
// and the countdown of a rate limit. Notes are message keys, translated when shown, so that a
// change of `lang` translates them again.
import type { AuthError, MessageKey } from "./auth-elements.js";
import { isMessageKey } from "./messages.js";

/** A message to show, kept as a key so that it is translated again when `lang` or the messages change. */
export type Note = { key: MessageKey; params?: Record<string, string | number> };

/**
 * The notes for `error`: at the field `fieldOf` names for a violation's field (none: the form's
 * note says "check the marked fields"), else the error's own text; `params` go with field notes.
 */
export function refusal<Field extends string>(
  error: AuthError,
  fieldOf: (field: string) => Field | undefined,
  params?: Note["params"],
): { errors: Partial<Record<Field, Note>>; note?: Note | undefined } {
  const errors: Partial<Record<Field, Note>> = {};
  let note: Note | undefined = { key: isMessageKey(error.code) ? error.code : "unknown_error" };
  if (error.violations?.length) {
    note = undefined;
    for (const { field, code } of error.violations) {
      const specific = `${field}_${code}`;
      const key = isMessageKey(specific) ? specific : isMessageKey(code) ? code : "invalid";
      const at = fieldOf(field);
      if (at) errors[at] ??= { key, params };
      else note = { key: "validation_failed" };
    }
  }
  return { errors, note };
}

/** The seconds a rate-limited form waits; `tick` hears each second left, down to 0. */
export function rateLimitWait(error: AuthError, tick: (left: number) => void): number {
  let left = Math.max(1, Math.ceil(error.retryAfter ?? 60));
  const timer = setInterval(() => {
    tick(--left);
    if (left <= 0) clearInterval(timer);
  }, 1000);
  return left;
}
