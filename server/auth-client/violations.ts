// Violation lists of every auth-service dialect (hydra ConstraintViolationList, problem+json, the
// 2019 dialect without codes), read into our `{field, code, message}` with stable codes.
import type { Violation } from "../http/errors.js";

// Symfony constraint codes that API Platform 2.6+ puts in violation lists, mapped to our stable codes.
const SYMFONY_CODES: Record<string, string> = {
  "c1051bb4-d103-4f74-8988-acbcafc7fdc3": "required", // NotBlank
  "ad32d13f-c3d4-423b-909a-857b961eb720": "required", // NotNull
  "bd79c0ab-ddba-46cc-a703-a7a4b08de310": "invalid_email", // Email
  "9ff3fdc4-b214-49db-8718-39c315e33d45": "too_short", // Length: too short
  "d94b19cc-114f-4f44-9cc4-4138e80a87b9": "too_long", // Length: too long
  "23bd9dbf-6b9b-41cd-a99e-4844bcf3077f": "already_used", // UniqueEntity
  "ba785a8c-82cb-4283-967c-3cf342181b40": "invalid_type", // Type
};

// The 2019 dialect has no codes: recognise Symfony's default English messages instead.
const MESSAGE_CODES: Array<[RegExp, string]> = [
  [/already (used|exists|taken|registered)/i, "already_used"],
  [/not (be )?blank|must not be empty|is required|should not be null/i, "required"],
  [/not a valid e-?mail/i, "invalid_email"],
  [/too short/i, "too_short"],
  [/too long/i, "too_long"],
  [/type/i, "invalid_type"],
];

function violationCode(code: unknown, message: string): string {
  if (typeof code === "string" && SYMFONY_CODES[code]) return SYMFONY_CODES[code]!;
  for (const [pattern, ours] of MESSAGE_CODES) if (pattern.test(message)) return ours;
  return "invalid";
}

/** Reads a violation list from any dialect (hydra ConstraintViolationList or problem+json), or null. */
export function parseViolations(body: unknown): Violation[] | null {
  if (!body || typeof body !== "object") return null;
  const list = (body as { violations?: unknown }).violations;
  if (!Array.isArray(list)) return null;
  return list
    .filter((item): item is Record<string, unknown> => !!item && typeof item === "object")
    .map((item) => {
      const message = typeof item.message === "string" ? item.message : "This value is not valid.";
      const field = typeof item.propertyPath === "string" && item.propertyPath ? item.propertyPath : "form";
      return { field, code: violationCode(item.code, message), message };
    });
}
