// Structured JSON logs (pino) of auth events and failures.
// Threat model: logs are read by more people than the session store; they must never hold a password,
// a refresh token, a JWT or a session cookie. Call sites log ids and codes only; redaction is a backstop.
import { pino, type Logger } from "pino";

export type { Logger };

const REDACTED_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "refreshToken",
  "*.refreshToken",
  "jwt",
  "*.jwt",
  "jwttoken",
  "*.jwttoken",
  "headers.authorization",
  "headers.cookie",
  'headers["refresh-token"]',
  'headers["set-cookie"]',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "auth-elements" },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
