// Byte-exact HTTP/1.1 for hostile-input tests (issue 6): the request goes on the wire exactly as
// given (bare CR, bare LF, NUL, invalid UTF-8, duplicate headers, absolute-form targets...), and the
// answer is read until it is complete or the server closes the connection. Nothing is normalised.
// The one raw HTTP client of the tests: `sendRaw` (bytes as built, e.g. by `httpRequest`),
// `rawRequest` (a request head plus optional body) and `readUntilClose` (everything the server sends).
import net from "node:net";

export interface RawAnswer {
  /** 0 when the server closed the connection without any status line. */
  status: number;
  /** Lower-cased names; repeated headers kept in order. */
  headers: Record<string, string[]>;
  body: string;
  /** The parsed JSON body, or undefined. */
  json: any;
  /** The whole answer as latin1 text (status line, headers, body). */
  raw: string;
  header(name: string): string | undefined;
}

/** Builds a request: request line, Host (unless `host: null`), the given headers, Content-Length for a body, Connection: close. */
export function httpRequest(
  method: string,
  target: string,
  options: { headers?: Array<[string, string]>; body?: string | Buffer; host?: string | null; contentLength?: boolean } = {},
): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`];
  if (options.host !== null) lines.push(`Host: ${options.host ?? "127.0.0.1"}`);
  for (const [name, value] of options.headers ?? []) lines.push(`${name}: ${value}`);
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, "utf8");
  if (body !== undefined && options.contentLength !== false) lines.push(`Content-Length: ${body.length}`);
  if (!(options.headers ?? []).some(([name]) => name.toLowerCase() === "connection")) lines.push("Connection: close");
  // latin1 keeps every code point below 256 as one byte: header values can carry raw non-ASCII bytes.
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return body === undefined ? head : Buffer.concat([head, body]);
}

/** Sends `bytes` on a fresh connection; resolves with the answer (status 0 if none came), rejects after `timeoutMs`. */
export function sendRaw(baseUrl: string, bytes: Buffer | string, timeoutMs = 10_000): Promise<RawAnswer> {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  return exchange(baseUrl, [data], {
    timeoutMs,
    complete: (received) => parseAnswer(received, false),
    atClose: (received) => parseAnswer(received, true) ?? emptyAnswer(received),
    atTimeout: () => new Error(`no complete answer within ${timeoutMs} ms to: ${data.subarray(0, 80).toString("latin1")}`),
  });
}

/**
 * Sends `head` (request line and headers, CR LF or LF separated, without the final blank line; a
 * `Connection: close` is added unless one is present) and an optional body, both UTF-8 encoded when
 * given as text, and answers with the first complete response. A response without Content-Length
 * or chunked framing is read until the server closes. Rejects when the server closes without a
 * complete response, or after `timeoutMs`.
 */
export function rawRequest(origin: string, head: string, options: { body?: Buffer | string; timeoutMs?: number } = {}): Promise<RawAnswer> {
  const lines = head.split(/\r?\n/).filter((line) => line.length > 0);
  if (!lines.some((line) => /^connection:/i.test(line))) lines.push("Connection: close");
  const parts: Buffer[] = [Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8")];
  if (options.body !== undefined) parts.push(Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, "utf8"));
  return exchange(origin, parts, {
    timeoutMs: options.timeoutMs ?? 5_000,
    complete: (received) => parseAnswer(received, false, { bodilessEarly: false, partial: false }),
    atClose: (received) =>
      parseAnswer(received, true, { bodilessEarly: false, partial: false }) ??
      new Error(`connection closed without a complete response to: ${lines[0]}\n${received.toString("latin1")}`),
    atTimeout: () => new Error(`raw request timed out: ${lines[0]}`),
  });
}

/**
 * Sends `bytes` (text UTF-8 encoded) on a fresh connection and reads everything the server sends
 * until it closes the connection or `waitMs` passes; never rejects. `raw` holds all of it (also
 * any second response); the rest describes the first response as far as it came (status 0 if none).
 */
export function readUntilClose(baseUrl: string, bytes: Buffer | string, waitMs = 2_000): Promise<RawAnswer> {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  const everything = (received: Buffer) => parseAnswer(received, true) ?? emptyAnswer(received);
  return exchange(baseUrl, [data], { timeoutMs: waitMs, complete: () => undefined, atClose: everything, atTimeout: everything });
}

interface ExchangeRules {
  timeoutMs: number;
  /** The answer once `received` holds a complete one, else undefined (keep reading). */
  complete(received: Buffer): RawAnswer | undefined;
  /** What the exchange settles with when the connection closes first. */
  atClose(received: Buffer): RawAnswer | Error;
  /** What the exchange settles with when `timeoutMs` passes first. */
  atTimeout(received: Buffer): RawAnswer | Error;
}

/** One connection: writes `parts` in order once connected, reads, and settles by `rules`. */
function exchange(baseUrl: string, parts: Buffer[], rules: ExchangeRules): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (answer: RawAnswer | Error | undefined) => {
      if (settled || answer === undefined) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    const timer = setTimeout(() => finish(rules.atTimeout(Buffer.concat(chunks))), rules.timeoutMs);
    socket.on("connect", () => {
      for (const part of parts) socket.write(part);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      finish(rules.complete(Buffer.concat(chunks)));
    });
    socket.on("error", () => undefined); // a reset after the answer is fine; the close below decides
    socket.on("close", () => finish(rules.atClose(Buffer.concat(chunks))));
  });
}

function emptyAnswer(data: Buffer): RawAnswer {
  return { status: 0, headers: {}, body: "", json: undefined, raw: data.toString("latin1"), header: () => undefined };
}

/**
 * The answer in `data`, or undefined while it is incomplete. `bodilessEarly`: a 1xx, 204 or 304
 * without framing is complete at its blank line (else it is read to the end). `partial`: at the
 * end, a response whose body did not fully arrive still answers (with an empty body).
 */
function parseAnswer(data: Buffer, atEnd: boolean, { bodilessEarly = true, partial = true } = {}): RawAnswer | undefined {
  const raw = data.toString("latin1");
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd === -1) return undefined;
  const [statusLine = "", ...headerLines] = raw.slice(0, headEnd).split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) return undefined;
  const headers: Record<string, string[]> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    (headers[line.slice(0, colon).trim().toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
  }
  const rest = data.subarray(headEnd + 4);
  let body: Buffer | undefined;
  const length = headers["content-length"]?.[0];
  if (length !== undefined) {
    if (rest.length >= Number(length)) body = rest.subarray(0, Number(length));
  } else if (headers["transfer-encoding"]?.[0]?.toLowerCase() === "chunked") {
    body = dechunk(rest);
  } else if (atEnd || (bodilessEarly && /^(1\d\d|204|304)$/.test(match[1]!))) {
    body = rest;
  }
  if (body === undefined) return atEnd && partial ? { ...emptyAnswer(data), status: Number(match[1]), headers, raw } : undefined;
  const text = body.toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(match[1]), headers, body: text, json, raw, header: (name) => headers[name.toLowerCase()]?.join(", ") };
}

/** Decodes a complete chunked body; undefined while incomplete. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", offset, "latin1");
    if (lineEnd === -1) return undefined;
    const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    parts.push(data.subarray(start, start + size));
    offset = start + size + 2;
  }
}

// ---------------------------------------------------------------------------------------------

export interface TcpSwitch {
  /** `http://127.0.0.1:<port>`: point AUTH_SERVICE (or anything) here. */
  url: string;
  port: number;
  /** Stops listening and cuts every open connection: the target looks down (connection refused). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP forwarder on a fixed loopback port to `target` (an http origin) that can be switched off and on. */
export async function startTcpSwitch(target: string): Promise<TcpSwitch> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((incoming) => {
        const outgoing = net.connect({ host: hostname, port: Number(targetPort) });
        for (const socket of [incoming, outgoing]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {
            incoming.destroy();
            outgoing.destroy();
          });
        }
        incoming.pipe(outgoing).pipe(incoming);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (!s) return resolve();
      s.close(() => resolve());
    });
  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    down,
    up: async () => {
      if (!server) await listen();
    },
    close: down,
  };
}
