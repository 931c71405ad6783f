// The response shapes of the auth-service contract (JSON-LD, hydra:Error, {"message"}) and the one function that writes them.
import type { ServerResponse } from "node:http";

export const LD_JSON = "application/ld+json; charset=utf-8";
export const PLAIN_JSON = "application/json; charset=utf-8";
export const PROBLEM_JSON = "application/problem+json; charset=utf-8";

export interface Reply {
  status: number;
  /** Omitted for bodiless replies (204). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Work queued once the answer is out (outbox.ts): mails, so their cost never shows in the answer's timing. */
  after?: () => Promise<void>;
}

/** A reply thrown from deep inside a handler (body reading, validation) and sent as is. */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`reply ${reply.status}`);
    this.name = "ReplyError";
  }
}

/** A hydra:Error; `code` becomes the top-level `code` the extensions use (`email_not_verified`, `invalid_current_password`). */
export function hydraError(status: number, description: string, headers?: Record<string, string>, code?: string): Reply {
  return {
    status,
    contentType: LD_JSON,
    body: {
      "@context": "/api/contexts/Error",
      "@type": "hydra:Error",
      "hydra:title": "An error occurred",
      "hydra:description": description,
      ...(code !== undefined ? { code } : {}),
    },
    ...(headers ? { headers } : {}),
  };
}

/** The `{"message": ...}` shape that the refresh-token authenticator answers with. */
export function messageError(status: number, message: string): Reply {
  return { status, contentType: PLAIN_JSON, body: { message } };
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = reply.status;
  res.setHeader("X-Content-Type-Options", "nosniff");
  if (!reply.headers?.["Cache-Control"]) res.setHeader("Cache-Control", "no-store");
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(reply.body), "utf8");
  res.setHeader("Content-Type", reply.contentType ?? LD_JSON);
  res.setHeader("Content-Length", payload.length);
  res.end(payload);
}
