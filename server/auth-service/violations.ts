// Sign-up validation and the current API Platform shape of its failures: 422 application/problem+json violation lists.
// The codes are the fixed UUIDs Symfony's validator uses per constraint kind, so clients can key on them.
import { PROBLEM_JSON, type Reply } from "./responses.js";

export const VIOLATION_CODES = {
  blank: "c1051bb4-d103-4f74-8988-acbcafc7fdc3",
  invalidEmail: "bd79c0ab-ddba-46cc-a703-a7a4b08de310",
  tooShort: "9ff3fdc4-b214-49db-8718-39c315e33d45",
  tooLong: "d94b19cc-114f-4f44-9cc4-4138e80a87b9",
  notUnique: "23bd9dbf-6b9b-41cd-a99e-4844bcf3077f",
  wrongType: "ba785a8c-82cb-4283-967c-3cf342181b40",
} as const;

export interface Violation {
  propertyPath: string;
  message: string;
  code: string;
}

export const MAX_PASSWORD_LENGTH = 4096;
export const MAX_EMAIL_LENGTH = 254;
// The HTML5 definition of a valid e-mail address (what `<input type="email">` accepts), with a dot required in the domain.
const EMAIL_PATTERN =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

/** Length as a person counts it (code points), like Symfony's mb_strlen. */
function lengthOf(value: string): number {
  return [...value].length;
}

function wrongType(propertyPath: string): Violation {
  return { propertyPath, message: "This value should be of type string.", code: VIOLATION_CODES.wrongType };
}

function blank(propertyPath: string): Violation {
  return { propertyPath, message: "This value should not be blank.", code: VIOLATION_CODES.blank };
}

export function validateEmail(email: unknown): Violation[] {
  if (email === undefined || email === null) return [blank("email")];
  if (typeof email !== "string") return [wrongType("email")];
  const trimmed = email.trim();
  if (trimmed === "") return [blank("email")];
  if (lengthOf(trimmed) > MAX_EMAIL_LENGTH) {
    return [
      {
        propertyPath: "email",
        message: `This value is too long. It should have ${MAX_EMAIL_LENGTH} characters or less.`,
        code: VIOLATION_CODES.tooLong,
      },
    ];
  }
  if (!EMAIL_PATTERN.test(trimmed)) {
    return [{ propertyPath: "email", message: "This value is not a valid email address.", code: VIOLATION_CODES.invalidEmail }];
  }
  return [];
}

export function validatePassword(password: unknown, minLength: number): Violation[] {
  if (password === undefined || password === null) return [blank("password")];
  if (typeof password !== "string") return [wrongType("password")];
  if (password === "") return [blank("password")];
  const length = lengthOf(password);
  if (length < minLength) {
    return [
      {
        propertyPath: "password",
        message: `This value is too short. It should have ${minLength} characters or more.`,
        code: VIOLATION_CODES.tooShort,
      },
    ];
  }
  if (length > MAX_PASSWORD_LENGTH) {
    return [
      {
        propertyPath: "password",
        message: `This value is too long. It should have ${MAX_PASSWORD_LENGTH} characters or less.`,
        code: VIOLATION_CODES.tooLong,
      },
    ];
  }
  return [];
}

export function emailTaken(): Violation {
  return { propertyPath: "email", message: "This value is already used.", code: VIOLATION_CODES.notUnique };
}

/** The 422 reply for a non-empty violation list, in the API Platform 3+ problem+json dialect. */
export function violationReply(violations: Violation[]): Reply {
  const codes = violations.map((violation) => violation.code).join(";");
  return {
    status: 422,
    contentType: PROBLEM_JSON,
    body: {
      "@context": "/api/contexts/ConstraintViolationList",
      "@id": `/api/validation_errors/${codes}`,
      "@type": "ConstraintViolationList",
      type: `/validation_errors/${codes}`,
      title: "An error occurred",
      detail: violations.map((violation) => `${violation.propertyPath}: ${violation.message}`).join("\n"),
      status: 422,
      violations,
    },
  };
}
