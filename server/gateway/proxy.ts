// Forwards one request to an upstream and streams the answer back, through a pooled undici client
// per upstream, on undici's handler API (onRequestStart, onResponseStart, …).
//
// Threat model: the browser's credentials must never reach an upstream (its Cookie, its own
// Authorization, X-CSRF, REFRESH-TOKEN; see upstream-headers.ts), an upstream must never set cookies
// on our origin, a redirect is handed back to the browser, never followed here; and no client may
// hold upstream connections it is not using: a call whose client has gone is aborted at once, before
// or after the pool hands it a connection, and no call waits longer than UPSTREAM_TIMEOUT_MS for
// anything (504): from acceptance (a call queued for a connection included), between two pieces of
// its own body (a stalled upload), and from the end of its body to the upstream's answer. A slow
// upload that keeps sending is never cut.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { Transform } from "node:stream";
import { Pool, type Dispatcher } from "undici";
import type { Upstream } from "../config.js";
import { ApiError } from "../http/errors.js";
import { hasBody } from "../http/json-body.js";
import { closeWithin } from "../ops/deadline.js";
import type { Metrics } from "../ops/metrics.js";
import { interimTolerantConnector } from "./interim-responses.js";
import { requestHeadersFor, responseHeadersFrom, type ForwardedHeaders } from "./upstream-headers.js";

export interface ForwardOptions {
  path: string;
  /** `req.headers`, as the caller read it. */
  headers: IncomingHttpHeaders;
  forwarded: ForwardedHeaders;
  bodyLimitBytes: number;
  /** Added to the upstream's answer (CORS). `Vary: Origin` is always added. */
  responseHeaders: string[];
}

class ClientGone extends Error {
  constructor() {
    super("the client went away");
    this.name = "ClientGone";
  }
}

class UpstreamTimeout extends Error {
  constructor() {
    super("the upstream did not answer in time");
    this.name = "UpstreamTimeout";
  }
}

export class UpstreamProxy {
  private readonly pool: Pool;

  constructor(
    readonly upstream: Upstream,
    private readonly timeoutMs: number,
    private readonly metrics: Metrics,
  ) {
    this.pool = new Pool(upstream.origin, {
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      // Our own deadline (below) is exact and counts from acceptance; undici's coarse timers (which may
      // fire up to half a second early) are a backstop, a second later. The two are equal on purpose:
      // undici then refreshes one timer per connection from the headers to the body phase, where two
      // different values cost two new timers per call, each kept for a second (GC work under load).
      headersTimeout: timeoutMs + 1_000,
      bodyTimeout: timeoutMs + 1_000,
      // undici drops the connection on an unsolicited `100 Continue`; this connector drops the 100 instead.
      connect: interimTolerantConnector({ timeout: Math.min(timeoutMs, 5_000) }),
    });
  }

  /**
   * Streams the request to the upstream and its answer back to `res`. Resolves when the answer has
   * been handed to `res`; rejects with an ApiError (413, 502, 504) while nothing has been sent yet.
   */
  forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): Promise<void> {
    // A client that went away while the call was being checked (its session read, its JWT fetched)
    // has had its "close" already: nothing would stop the call, and its answer would wait for good on
    // a response that can no longer be written, keeping its place in the gateway's caps.
    if (res.destroyed) return Promise.resolve();
    const received = options.headers;
    const headers = requestHeadersFor(req, options.forwarded, received.connection);
    const withBody = hasBody(received) && req.method !== "GET" && req.method !== "HEAD";
    const length = received["content-length"];
    const declared = Number(length ?? 0);
    if (withBody && declared > options.bodyLimitBytes) return Promise.reject(new ApiError(413, "payload_too_large"));
    if (withBody && length !== undefined) headers.push("content-length", String(declared));

    const metrics = this.metrics;
    return new Promise<void>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      /** Why the call must stop; set once. The call is aborted as soon as it has a controller. */
      let stopReason: Error | undefined;
      let tooLarge = false;
      let settled = false;
      let answered = false;

      const stop = (reason: Error): void => {
        if (settled || stopReason) return;
        stopReason = reason;
        controller?.abort(reason);
        if (!controller) fail(reason); // still queued for a connection: answer now, abort when it starts
      };
      // One deadline, re-armed by every piece of request body: it bounds the wait for a connection,
      // each pause in the body, and the wait for the answer. undici's own timers tick too coarsely.
      let deadline: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(deadline);
        deadline = setTimeout(() => stop(new UpstreamTimeout()), this.timeoutMs);
      };
      arm();
      const onClientGone = (): void => stop(new ClientGone());
      const onRequestClosed = (): void => {
        if (!req.complete) onClientGone();
      };
      // `on`, not `once`: finish() removes them, and `once` would wrap each in one more closure per call.
      // A request without a body is complete already: only an upload can be broken off on its own.
      res.on("close", onClientGone);
      if (withBody) req.on("close", onRequestClosed);
      const finish = (): void => {
        settled = true;
        clearTimeout(deadline);
        res.off("close", onClientGone);
        if (withBody) req.off("close", onRequestClosed);
      };
      const fail = (error: Error): void => {
        if (settled) return;
        finish();
        if (res.headersSent) {
          res.destroy();
          resolve();
        } else if (tooLarge) reject(new ApiError(413, "payload_too_large"));
        else if (error instanceof UpstreamTimeout) reject(new ApiError(504, "upstream_timeout", { cause: error }));
        else reject(new ApiError(502, "upstream_unavailable", { cause: error }));
      };

      let body: Transform | null = null;
      if (withBody) {
        const limited = limitBytes(
          options.bodyLimitBytes,
          () => (tooLarge = true),
          () => {
            if (!settled && !answered) arm();
          },
        );
        limited.once("finish", () => {
          if (!settled && !answered) arm();
        });
        // A body over the limit, or broken off (the client went away, bad chunked framing), fails the
        // upstream call at once instead of leaving it waiting for bytes that never come. The request
        // itself is left alone, so that a 413 can still be answered on its connection.
        limited.once("error", stop);
        req.once("error", (error) => {
          limited.destroy(error);
          stop(error);
        });
        req.pipe(limited);
        body = limited;
      }

      this.pool.dispatch(
        { method: req.method as Dispatcher.HttpMethod, path: options.path, headers, body },
        {
          onRequestStart(started) {
            controller = started;
            if (stopReason) started.abort(stopReason);
          },
          onResponseStart(started, statusCode, parsed) {
            // 1xx informational answers (103 Early Hints, a stray 100 Continue) are not passed on: Node
            // has already answered the client's own Expect, and the final answer follows.
            if (statusCode < 200) return;
            answered = true;
            metrics.upstreamStatus(statusCode);
            clearTimeout(deadline);
            res.writeHead(statusCode, responseHeadersFrom(parsed, options.responseHeaders));
          },
          onResponseData(started, chunk) {
            if (!res.write(chunk)) {
              started.pause();
              res.once("drain", () => started.resume());
            }
          },
          onResponseEnd() {
            finish();
            res.end();
            resolve();
          },
          onResponseError(_started, error) {
            fail(stopReason ?? error);
          },
        },
      );
    });
  }

  /** Closes the pool; calls still in flight past `deadlineMs` are cut. */
  close(deadlineMs: number): Promise<void> {
    return closeWithin(
      () => this.pool.close(),
      () => void this.pool.destroy(),
      deadlineMs,
    );
  }
}

/** Passes bytes through until `limit`, then fails the stream (the upstream call aborts). */
function limitBytes(limit: number, onExceeded: () => void, onChunk: () => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk();
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
