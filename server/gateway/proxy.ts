// Forwards one request to an upstream and streams the answer back, through a pooled undici client
// per upstream. Threat model: the browser's credentials must never reach an upstream (its Cookie,
// its own Authorization, X-CSRF, REFRESH-TOKEN), an upstream must never set cookies on our origin,
// and a redirect is handed back to the browser, never followed here.
import type { IncomingMessage, ServerResponse } from "node:http";
import { EventEmitter } from "node:events";
import { Transform } from "node:stream";
import { Pool, errors as undiciErrors } from "undici";
import type { Upstream } from "../config.js";
import { ApiError } from "../errors.js";
import { hasBody } from "../json-body.js";

/** Hop-by-hop headers (RFC 9110 7.6.1) plus everything that carries the browser's credentials. */
const REQUEST_HEADERS_DROPPED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "cookie",
  "authorization",
  "x-csrf",
  "refresh-token",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "forwarded",
  "content-length",
]);

const RESPONSE_HEADERS_DROPPED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "set-cookie",
]);

export interface ForwardOptions {
  path: string;
  jwt: string;
  forwardedFor: string;
  forwardedProto: string;
  forwardedHost: string | undefined;
  bodyLimitBytes: number;
}

export class UpstreamProxy {
  private readonly pool: Pool;

  constructor(
    readonly upstream: Upstream,
    private readonly timeoutMs: number,
  ) {
    this.pool = new Pool(upstream.origin, {
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 5_000),
    });
  }

  async forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): Promise<void> {
    const headers = upstreamHeaders(req, options);
    const withBody = hasBody(req.headers) && req.method !== "GET" && req.method !== "HEAD";
    const declared = Number(req.headers["content-length"] ?? 0);
    if (withBody && declared > options.bodyLimitBytes) throw new ApiError(413, "payload_too_large");
    if (withBody && req.headers["content-length"] !== undefined) headers["content-length"] = String(declared);

    let tooLarge = false;
    const body = withBody ? req.pipe(limitBytes(options.bodyLimitBytes, () => (tooLarge = true))) : null;
    // undici's headersTimeout runs on a coarse timer (about 0.5 s ticks: a 300 ms timeout fired after
    // up to 1 s), so the wait for the upstream's answer gets its own exact deadline, counted like
    // undici's from the end of the request body and cleared once the response headers are in.
    // undici takes an EventEmitter as its abort signal: far cheaper per request than AbortController.
    const abort = new EventEmitter();
    let timedOut = false;
    let answered = false;
    let deadline: NodeJS.Timeout | undefined;
    const startDeadline = (): void => {
      if (answered || deadline) return;
      deadline = setTimeout(() => {
        timedOut = true;
        abort.emit("abort");
      }, this.timeoutMs);
    };
    if (body) body.once("end", startDeadline);
    else startDeadline();
    try {
      await this.pool.stream(
        {
          method: req.method as "GET",
          path: options.path,
          headers,
          body,
          signal: abort,
        },
        ({ statusCode, headers: upstreamHeaders }) => {
          answered = true;
          clearTimeout(deadline);
          res.statusCode = statusCode;
          for (const [name, value] of Object.entries(upstreamHeaders)) {
            if (value !== undefined && !RESPONSE_HEADERS_DROPPED.has(name)) res.setHeader(name, value);
          }
          return res;
        },
      );
    } catch (error) {
      if (tooLarge) throw new ApiError(413, "payload_too_large");
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (timedOut || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
        throw new ApiError(504, "upstream_timeout", { cause: error });
      }
      throw new ApiError(502, "upstream_unavailable", { cause: error });
    } finally {
      clearTimeout(deadline);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function upstreamHeaders(req: IncomingMessage, options: ForwardOptions): Record<string, string> {
  const connection = req.headers.connection;
  const connectionListed = connection ? new Set(connection.toLowerCase().split(",").map((h) => h.trim())) : undefined;
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (REQUEST_HEADERS_DROPPED.has(name) || connectionListed?.has(name)) continue;
    headers[name] = headers[name] === undefined ? raw[i + 1]! : `${headers[name]}, ${raw[i + 1]!}`;
  }
  headers.authorization = `Bearer ${options.jwt}`;
  headers["x-forwarded-for"] = options.forwardedFor;
  headers["x-forwarded-proto"] = options.forwardedProto;
  if (options.forwardedHost) headers["x-forwarded-host"] = options.forwardedHost;
  return headers;
}

/** Passes bytes through until `limit`, then fails the stream (the upstream call aborts). */
function limitBytes(limit: number, onExceeded: () => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) {
        onExceeded();
        callback(new ApiError(413, "payload_too_large"));
        return;
      }
      callback(null, chunk);
    },
  });
}
