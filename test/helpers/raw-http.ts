// Byte-exact HTTP/1.1 for hostile-input tests (issue 6): the request goes on the wire exactly as
// given (bare CR, bare LF, NUL, invalid UTF-8, duplicate headers, absolute-form targets...), and the
// answer is read until it is complete or the server closes the connection. Nothing is normalised.
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
  const { hostname, port } = new URL(baseUrl);
  const data = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (answer: RawAnswer | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    const timer = setTimeout(() => finish(new Error(`no complete answer within ${timeoutMs} ms to: ${data.subarray(0, 80).toString("latin1")}`)), timeoutMs);
    socket.on("connect", () => socket.write(data));
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      const parsed = parseAnswer(Buffer.concat(chunks), false);
      if (parsed) finish(parsed);
    });
    socket.on("error", () => undefined); // a reset after the answer is fine; the close below decides
    socket.on("close", () => finish(parseAnswer(Buffer.concat(chunks), true) ?? emptyAnswer(Buffer.concat(chunks))));
  });
}

function emptyAnswer(data: Buffer): RawAnswer {
  return { status: 0, headers: {}, body: "", json: undefined, raw: data.toString("latin1"), header: () => undefined };
}

function parseAnswer(data: Buffer, atEnd: boolean): RawAnswer | undefined {
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
  } else if (atEnd || /^(1\d\d|204|304)$/.test(match[1]!)) {
    body = rest;
  }
  if (body === undefined) return atEnd ? { ...emptyAnswer(data), status: Number(match[1]), headers, raw } : undefined;
  const text = body.toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(match[1]), headers, body: text, json, raw, header: (name) => headers[name.toLowerCase()]?.join(", ") };
}

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
