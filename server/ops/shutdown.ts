// Graceful, bounded shutdown (SIGTERM/SIGINT, and `close()` of a running server).
//
// Reliability stance: a deploy must never hang on a dead or frozen dependency, and must not cut a
// request that could still finish. So: stop accepting; `/readyz` answers 503 at once; idle keep-alive
// connections close now and busy ones after their answer (`Connection: close`); requests in flight
// get at most SHUTDOWN_TIMEOUT_MS to finish, after which any still unanswered gets 503 and every
// connection is closed; then every client (Redis, the auth-service client, the upstream pools) closes
// with its own deadline and is destroyed if it does not. The whole takes at most the timeout plus
// CLIENT_CLOSE_MS, whatever Redis, the auth service or an upstream do.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { ApiError, type ErrorExit } from "../http/errors.js";
import type { Logger } from "./logger.js";

/** How long each client may take to close once the requests are done; past it, it is destroyed. */
export const CLIENT_CLOSE_MS = 500;

export interface LifecycleOptions {
  timeoutMs: number;
  logger: Logger;
  errors: ErrorExit;
}

/** Closes one outbound client within `deadlineMs`, destroying it when it does not close in time. */
export type ClientCloser = (deadlineMs: number) => Promise<void>;

export class Lifecycle {
  private readonly servers: Server[] = [];
  private readonly clients: ClientCloser[] = [];
  private readonly inFlight = new Map<ServerResponse, IncomingMessage>();
  private drained: (() => void) | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: LifecycleOptions) {}

  /** True once shutdown has begun: readiness answers 503 from then on. */
  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  /** Requests being answered now (for tests). */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** A server whose connections this lifecycle closes. */
  addServer(server: Server): void {
    this.servers.push(server);
  }

  /** An outbound client closed once the requests are done (Redis, the auth client, upstream pools). */
  addClient(close: ClientCloser): void {
    this.clients.push(close);
  }

  /** Called first for every request: counts it in flight until its response closes. */
  track(req: IncomingMessage, res: ServerResponse): void {
    if (this.stopping) res.setHeader("Connection", "close");
    this.inFlight.set(res, req);
    res.on("close", this.onClose);
  }

  /** The one "close" listener of every response (a response closes once): no closure per request. */
  private readonly onClose = closeListener(this.inFlight, () => this.drained?.());

  /** Shuts down once; later calls share the first. Never rejects. */
  shutdown(): Promise<void> {
    this.stopped ??= this.run();
    return this.stopped;
  }

  private async run(): Promise<void> {
    const { timeoutMs, logger, errors } = this.options;
    const started = Date.now();
    logger.info({ event: "shutdown_started", requestsInFlight: this.inFlight.size, timeoutMs }, "shutting down");
    // close() stops accepting and (Node 19+) closes idle keep-alive connections; busy ones are told to
    // close after their answer.
    const closed = Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    for (const res of this.inFlight.keys()) if (!res.headersSent) res.setHeader("Connection", "close");

    if (this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const unfinished = this.inFlight.size;
    for (const [res, req] of this.inFlight) {
      if (res.headersSent) res.destroy();
      else errors.send(req, res, new ApiError(503, "shutting_down", { headers: { Connection: "close" } }), "shutdown");
    }
    for (const server of this.servers) server.closeAllConnections();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 100))]);

    await Promise.all(
      this.clients.map((close) =>
        close(CLIENT_CLOSE_MS).catch((error: unknown) => {
          logger.warn({ event: "shutdown_close_failed", message: (error as Error).message }, "a client did not close cleanly");
        }),
      ),
    );
    logger.info({ event: "shutdown_done", ms: Date.now() - started, unfinished }, "shut down");
  }
}

/** A close listener that takes its response (`this`) out of `inFlight`, calling `onDrained` after the last. */
function closeListener(inFlight: Map<ServerResponse, IncomingMessage>, onDrained: () => void): (this: ServerResponse) => void {
  return function onClose(this: ServerResponse) {
    inFlight.delete(this);
    if (inFlight.size === 0) onDrained();
  };
}
