// The one error shape of the session server: `{error: <stable code>, message: <English text>, ...}`.
// Errors are values with stable codes, created anywhere and turned into responses once, at the edge.
import type { ServerResponse } from "node:http";

export const ERROR_MESSAGES = {
  bad_request: "The request is malformed.",
  unauthenticated: "You are not signed in.",
  session_expired: "Your session has expired. Please sign in again.",
  invalid_credentials: "The e-mail address or password is incorrect.",
  csrf_rejected: "The request was rejected by the cross-site request forgery check.",
  not_found: "There is nothing here.",
  unknown_service: "No such service.",
  method_not_allowed: "This method is not allowed here.",
  payload_too_large: "The request body is too large.",
  unsupported_media_type: "The request body must be JSON (Content-Type: application/json).",
  validation_failed: "Some fields are not valid.",
  rate_limited: "Too many attempts. Please wait and try again.",
  internal_error: "Something went wrong on our side.",
  auth_unavailable: "The authentication service is unavailable. Please try again later.",
  auth_timeout: "The authentication service did not answer in time. Please try again later.",
  upstream_unavailable: "The service is unavailable. Please try again later.",
  upstream_timeout: "The service did not answer in time. Please try again later.",
  session_store_unavailable: "Sessions are unavailable right now. Please try again shortly.",
  token_unavailable: "Could not get an access token right now. Please try again shortly.",
  not_ready: "The server is not ready.",
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

export interface Violation {
  field: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: ErrorCode,
    options: { message?: string; extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(options.message ?? ERROR_MESSAGES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  toBody(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.extra };
  }
}

export const validationFailed = (violations: Violation[]): ApiError =>
  new ApiError(422, "validation_failed", { extra: { violations } });

export const rateLimited = (retryAfterSeconds: number): ApiError =>
  new ApiError(429, "rate_limited", {
    extra: { retryAfter: retryAfterSeconds },
    headers: { "Retry-After": String(retryAfterSeconds) },
  });

/** Writes an ApiError as JSON with `Cache-Control: no-store`. Works on a bare Node response too. */
export function writeError(res: ServerResponse, error: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(error.toBody());
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

const CLIENT_ERROR_CODES: Record<number, ErrorCode> = {
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/**
 * Maps anything thrown to an ApiError: ours pass through, body-parser's errors become 400/413/415,
 * and everything else is an internal error whose details stay in the log, never in the response.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  const status = (error as { status?: unknown } | null)?.status;
  if (type === "entity.too.large") return new ApiError(413, "payload_too_large");
  if (type === "entity.parse.failed") return new ApiError(400, "bad_request", { message: "The request body is not valid JSON." });
  if (type === "encoding.unsupported" || type === "charset.unsupported") return new ApiError(415, "unsupported_media_type");
  if (type === "request.aborted" || type === "request.size.invalid" || type === "stream.encoding.set") {
    return new ApiError(400, "bad_request");
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    const code = CLIENT_ERROR_CODES[status];
    return code ? new ApiError(status, code) : new ApiError(400, "bad_request");
  }
  return new ApiError(500, "internal_error");
}
