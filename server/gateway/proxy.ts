// Forwards one request to an upstream and streams the answer back, through a pooled undici client
// per upstream. Threat model: the browser's credentials must never reach an upstream (its Cookie,
// its own Authorization, X-CSRF, REFRESH-TOKEN), an upstream must never set cookies on our origin,
// and a redirect is handed back to the browser, never followed here.
import type { IncomingMessage, ServerResponse } from "node:http";
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
  /** Added to the upstream's answer (CORS). `Vary: Origin` is always added. */
  responseHeaders: string[];
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

  /**
   * Streams the request to the upstream and its answer back to `res`. Resolves when the answer has
   * been handed to `res`; rejects with an ApiError (413, 502, 504) while nothing has been sent yet.
   * Uses undici's dispatch API directly: headers, data and completion go straight to the response,
   * with no intermediate stream objects, which keeps the per-call cost low.
   */
  forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): Promise<void> {
    const headers = upstreamHeaders(req, options);
    const withBody = hasBody(req.headers) && req.method !== "GET" && req.method !== "HEAD";
    const declared = Number(req.headers["content-length"] ?? 0);
    if (withBody && declared > options.bodyLimitBytes) return Promise.reject(new ApiError(413, "payload_too_large"));
    if (withBody && req.headers["content-length"] !== undefined) headers.push("content-length", String(declared));

    let tooLarge = false;
    const body = withBody ? req.pipe(limitBytes(options.bodyLimitBytes, () => (tooLarge = true))) : null;
    const timeoutMs = this.timeoutMs;
    return new Promise<void>((resolve, reject) => {
      let abortUpstream: ((reason: Error) => void) | undefined;
      let resumeUpstream: (() => void) | undefined;
      let timedOut = false;
      let answered = false;
      let done = false;
      // undici's headersTimeout runs on a coarse timer (about 0.5 s ticks: a 300 ms timeout fired after
      // up to 1 s), so the wait for the upstream's answer gets its own exact deadline, counted like
      // undici's from the end of the request body and cleared once the response headers are in.
      let deadline: NodeJS.Timeout | undefined;
      const startDeadline = (): void => {
        if (answered || deadline) return;
        deadline = setTimeout(() => {
          timedOut = true;
          abortUpstream?.(new undiciErrors.HeadersTimeoutError());
        }, timeoutMs);
      };
      if (body) body.once("end", startDeadline);
      else startDeadline();
      // A browser that goes away mid-answer ends the upstream call too.
      const onClientGone = (): void => {
        if (!done) abortUpstream?.(new undiciErrors.RequestAbortedError());
      };
      res.once("close", onClientGone);
      const finish = (): void => {
        done = true;
        clearTimeout(deadline);
        res.off("close", onClientGone);
      };
      const resume = (): void => resumeUpstream?.();

      this.pool.dispatch(
        { method: req.method as "GET", path: options.path, headers, body },
        {
          onConnect(abort) {
            abortUpstream = abort as (reason: Error) => void;
            if (timedOut) abortUpstream(new undiciErrors.HeadersTimeoutError());
          },
          onHeaders(statusCode, rawHeaders, resumeFn) {
            answered = true;
            clearTimeout(deadline);
            resumeUpstream = resumeFn;
            const kept: string[] = options.responseHeaders;
            let varied = false;
            for (let i = 0; i < rawHeaders.length; i += 2) {
              const name = rawHeaders[i]!.toString("latin1");
              const lower = name.toLowerCase();
              if (RESPONSE_HEADERS_DROPPED.has(lower)) continue;
              let value = rawHeaders[i + 1]!.toString("latin1");
              if (lower === "vary" && !varied) {
                varied = true;
                if (!/\borigin\b|\*/i.test(value)) value = `${value}, Origin`;
              }
              kept.push(name, value);
            }
            if (!varied) kept.push("Vary", "Origin");
            res.writeHead(statusCode, kept);
            return true;
          },
          onData(chunk) {
            const flowing = res.write(chunk);
            if (!flowing) res.once("drain", resume);
            return flowing;
          },
          onComplete() {
            finish();
            res.end();
            resolve();
          },
          onError(error) {
            finish();
            if (res.headersSent) {
              res.destroy();
              resolve();
            } else if (tooLarge) {
              reject(new ApiError(413, "payload_too_large"));
            } else if (timedOut || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
              reject(new ApiError(504, "upstream_timeout", { cause: error }));
            } else {
              reject(new ApiError(502, "upstream_unavailable", { cause: error }));
            }
          },
        },
      );
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The headers sent upstream, as a flat [name, value, …] list (undici takes it without copying). */
function upstreamHeaders(req: IncomingMessage, options: ForwardOptions): string[] {
  const connection = req.headers.connection;
  const connectionListed = connection ? new Set(connection.toLowerCase().split(",").map((h) => h.trim())) : undefined;
  const headers: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (REQUEST_HEADERS_DROPPED.has(name) || connectionListed?.has(name)) continue;
    headers.push(name, raw[i + 1]!);
  }
  headers.push("authorization", `Bearer ${options.jwt}`, "x-forwarded-for", options.forwardedFor, "x-forwarded-proto", options.forwardedProto);
  if (options.forwardedHost) headers.push("x-forwarded-host", options.forwardedHost);
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
