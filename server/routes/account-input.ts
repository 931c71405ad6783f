// Reads the bodies of the account-lifecycle routes: wrong types or missing fields are a malformed request (400
// bad_request); a new password that cannot be right is a violation (422) at the field the browser sent; a link token
// that cannot be one is refused as such (reset_token_invalid, verification_token_invalid) without asking anyone.
import { ApiError, type ErrorCode, type Violation } from "../http/errors.js";

const MAX_EMAIL_LENGTH = 320;
export const MAX_PASSWORD_LENGTH = 4096;
/** What any auth service's link token looks like in a URL (the bundle's, ours): URL-safe characters, bounded. */
const TOKEN_FORMAT = /^[A-Za-z0-9._~-]{1,512}$/;

function object(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError(400, "bad_request", { message: "The body must be a JSON object." });
  }
  return body as Record<string, unknown>;
}

/** `{email}` of a reset or resend request: a string that could be an address (whatever the account). */
export function readEmail(body: unknown): string {
  const { email } = object(body);
  if (typeof email !== "string") throw new ApiError(400, "bad_request", { message: "email must be a string." });
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf("@");
  if (trimmed.length > MAX_EMAIL_LENGTH || at < 1 || at === trimmed.length - 1 || /\s/.test(trimmed)) {
    throw new ApiError(400, "bad_request", { message: "email must be an e-mail address." });
  }
  return trimmed;
}

/** `{token}`; a token that cannot be a link token is `invalidCode` at once. */
export function readToken(body: unknown, invalidCode: Extract<ErrorCode, "reset_token_invalid" | "verification_token_invalid">): string {
  const { token } = object(body);
  if (typeof token !== "string") throw new ApiError(400, "bad_request", { message: "token must be a string." });
  if (!TOKEN_FORMAT.test(token)) throw new ApiError(400, invalidCode);
  return token;
}

/** A new password's own violations (blank, too long); the auth service judges the rest. */
export function newPasswordViolations(field: string, password: string): Violation[] {
  if (password === "") return [{ field, code: "required", message: "This value should not be blank." }];
  if (password.length > MAX_PASSWORD_LENGTH) {
    return [{ field, code: "too_long", message: `This value is too long. It should have ${MAX_PASSWORD_LENGTH} characters or less.` }];
  }
  return [];
}

/** The string fields `names` of `body` (400 unless each is a string), and `flag` (400 unless absent or a boolean). */
export function readFields<N extends string>(body: unknown, names: readonly N[], flag?: string): Record<N, string> & { flag?: boolean } {
  const data = object(body);
  const result: Record<string, unknown> = {};
  for (const name of names) {
    if (typeof data[name] !== "string") throw new ApiError(400, "bad_request", { message: `${name} must be a string.` });
    result[name] = data[name];
  }
  if (flag !== undefined && data[flag] !== undefined) {
    if (typeof data[flag] !== "boolean") throw new ApiError(400, "bad_request", { message: `${flag} must be true or false.` });
    result.flag = data[flag];
  }
  return result as Record<N, string> & { flag?: boolean };
}

/** A `lang` the browser may send (a BCP 47 tag), or undefined. */
export function readLang(body: unknown): string | undefined {
  const lang = (body as { lang?: unknown } | undefined)?.lang;
  if (lang === undefined) return undefined;
  if (typeof lang !== "string" || !/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(lang)) {
    throw new ApiError(400, "bad_request", { message: "lang must be a language tag such as en or nl-BE." });
  }
  return lang;
}
