// Client-side checks that mirror the session server's sign-up validation (same pattern, same
// limits, lengths in code points), so most mistakes are caught before a round trip.
import type { MessageKey } from "../auth-elements.js";

// The HTML definition of a valid e-mail address, with a dot required in the domain: the server's rule.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

export function checkEmail(email: string): MessageKey | undefined {
  if (!email) return "email_required";
  if ([...email].length > 254) return "too_long";
  if (!EMAIL.test(email)) return "invalid_email";
}

/** `minLength` is 0 for a login, where any non-empty password may be the right one. */
export function checkPassword(password: string, minLength: number): MessageKey | undefined {
  const length = [...password].length;
  if (!length) return "password_required";
  if (length < minLength) return "password_too_short";
  if (length > 4096) return "too_long";
}
