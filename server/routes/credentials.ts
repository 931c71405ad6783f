// Reads `{email, password}` from a signup or login body. Wrong types are a malformed request (400);
// empty or oversized values are violations (422) for signup, and simply a failed login for login
// (a blank field cannot match, and login has no rules to report).
import { ApiError } from "../http/errors.js";

const MAX_EMAIL_LENGTH = 320;
const MAX_PASSWORD_LENGTH = 4096;

export interface Credentials {
  email: string;
  password: string;
}

export function readCredentials(body: unknown, purpose: "signup" | "login"): Credentials {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError(400, "bad_request", { message: "The body must be a JSON object with email and password." });
  }
  const { email, password } = body as Record<string, unknown>;
  if ((email !== undefined && typeof email !== "string") || (password !== undefined && typeof password !== "string")) {
    throw new ApiError(400, "bad_request", { message: "email and password must be strings." });
  }
  if (purpose === "login" && (email === undefined || password === undefined)) {
    throw new ApiError(400, "bad_request", { message: "email and password are required." });
  }
  const credentials = { email: (email ?? "").trim(), password: password ?? "" };
  const violations = [];
  if (!credentials.email) violations.push({ field: "email", code: "required", message: "This value should not be blank." });
  else if (credentials.email.length > MAX_EMAIL_LENGTH) {
    violations.push({
      field: "email",
      code: "too_long",
      message: `This value is too long. It should have ${MAX_EMAIL_LENGTH} characters or less.`,
    });
  }
  if (!credentials.password) violations.push({ field: "password", code: "required", message: "This value should not be blank." });
  else if (credentials.password.length > MAX_PASSWORD_LENGTH) {
    violations.push({
      field: "password",
      code: "too_long",
      message: `This value is too long. It should have ${MAX_PASSWORD_LENGTH} characters or less.`,
    });
  }
  if (violations.length > 0) {
    if (purpose === "signup") throw new ApiError(422, "validation_failed", { extra: { violations } });
    throw new ApiError(401, "invalid_credentials");
  }
  return credentials;
}
