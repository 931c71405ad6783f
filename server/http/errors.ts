// The one error shape and the one error exit of the session server. Errors are values with stable
// codes (`ApiError`), created anywhere and turned into an answer here, once: the routes, the session
// check, the gateway, readiness and the HTTP parser's own rejections all end in `ErrorExit`, which
// writes `{error, message, …}` with `Cache-Control: no-store` and the security headers, logs by
// one policy (5xx with its code and cause; 4xx are the client's business and not logged), and counts
// the requests the session store failed (metrics).
// Threat model: no stack trace, upstream body or internal message ever reaches a client.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../ops/logger.js";
import type { Metrics } from "../ops/metrics.js";
import type { HeaderList } from "./security-headers.js";

export const ERROR_MESSAGES = {
  bad_request: "The request is malformed.",
  unauthenticated: "You are not signed in.",
  session_expired: "Your session has expired. Please sign in again.",
  invalid_credentials: "The e-mail address or password is incorrect.",
  email_not_verified: "This e-mail address is not verified yet. Follow the link in the mail we sent, or ask for a new one.",
  reset_token_invalid: "This password reset link is not valid: it was used already, has expired, or is incomplete.",
  passkey_invalid: "This passkey could not be added. Please try again.",
  verification_token_invalid: "This verification link is not valid: it was used already, has expired, or is incomplete.",
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
  shutting_down: "The server is restarting. Please try again.",
  expectation_failed: "Only Expect: 100-continue is supported.",
  // Sign-in with an OpenID Connect provider: the three come back to the page as `#auth_error=<code>`.
  oidc_denied: "The sign-in was cancelled or refused at the provider.",
  oidc_failed: "The sign-in with the provider failed. Please try again.",
  oidc_unavailable: "The sign-in provider is not reachable right now. Please try again later.",
  logout_token_invalid: "The logout token is not valid.",
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

export const rateLimited = (retryAfterSeconds: number): ApiError =>
  new ApiError(429, "rate_limited", {
    extra: { retryAfter: retryAfterSeconds },
    headers: { "Retry-After": String(retryAfterSeconds) },
  });

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
  return new ApiError(500, "internal_error", { cause: error });
}

/** Where an error surfaced, for the log line. */
export type ErrorSource = "routes" | "session_check" | "gateway" | "forward_auth" | "metrics" | "readiness" | "http_parser" | "shutdown";

export interface ErrorExit {
  /** Answers `error` on `res` (or destroys it when an answer was already under way) and logs it by the policy. */
  send(req: IncomingMessage, res: ServerResponse, error: unknown, source: ErrorSource): void;
  /** Answers a request Node's HTTP parser refused (no ServerResponse exists), then closes the socket. */
  sendOnSocket(error: NodeJS.ErrnoException, socket: Duplex): void;
}

export function createErrorExit(logger: Logger, securityHeaders: HeaderList, metrics: Metrics): ErrorExit {
  function log(apiError: ApiError, source: ErrorSource, req?: IncomingMessage): void {
    if (apiError.status < 500) return;
    const cause = apiError.cause as Error | undefined;
    logger[apiError.status === 500 ? "error" : "warn"](
      {
        event: "request_failed",
        source,
        code: apiError.code,
        ...(req && { method: req.method, path: (req.url ?? "").split("?")[0]!.slice(0, 200) }),
        ...(cause && { cause: cause.message }),
      },
      "request failed",
    );
  }

  return {
    send(req, res, error, source) {
      const apiError = toApiError(error);
      log(apiError, source, req);
      if (apiError.code === "session_store_unavailable") metrics.storeError();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = JSON.stringify(apiError.toBody());
      res.statusCode = apiError.status;
      for (const [name, value] of securityHeaders) res.setHeader(name, value);
      for (const [name, value] of Object.entries(apiError.headers)) res.setHeader(name, value);
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Content-Length", Buffer.byteLength(body));
      res.end(req.method === "HEAD" ? undefined : body);
      // An unread request body would otherwise keep the connection busy.
      if (!req.complete) req.resume();
    },
    sendOnSocket(error, socket) {
      if (!socket.writable || (socket as Duplex & { bytesWritten?: number }).bytesWritten) {
        socket.destroy();
        return;
      }
      const apiError =
        error.code === "HPE_HEADER_OVERFLOW"
          ? new ApiError(431, "bad_request", { message: "The request headers are too large." })
          : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
            ? new ApiError(408, "bad_request", { message: "The request took too long to arrive." })
            : new ApiError(400, "bad_request", { message: "The request is not valid HTTP." });
      log(apiError, "http_parser");
      const body = JSON.stringify(apiError.toBody());
      const headers = [
        ...securityHeaders,
        ["Content-Type", "application/json; charset=utf-8"],
        ["Connection", "close"],
        ["Content-Length", String(Buffer.byteLength(body))],
      ];
      socket.end(
        `HTTP/1.1 ${apiError.status} ${http.STATUS_CODES[apiError.status]}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n${body}`,
      );
    },
  };
}
