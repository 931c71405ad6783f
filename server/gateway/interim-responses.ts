// Upstream connections that drop an unsolicited `100 Continue` before undici's parser sees it.
//
// Why: RFC 9110 15.2 says a client must be able to parse 1xx answers it did not ask for. undici
// (7.x) passes `103 Early Hints` and the like on, but destroys the connection on any `100`
// (client-h1.js, onHeadersComplete), so the final answer after it would be lost and the browser
// would get 502. The gateway never sends `Expect` upstream (upstream-headers.ts), so every 100 it
// receives is unsolicited, and dropping it loses nothing.
//
// Threat model: the filter must never change a byte of an answer, or the connection's framing
// (and so which answer goes to which request) would be at the upstream's mercy. So it looks only at
// the start of an answer: from the moment undici writes a request head on this connection (the
// `undici:client:sendHeaders` diagnostics channel; the pools use pipelining 1, so the previous
// answer is complete by then) to the first byte that is not part of a `100` head. A head it cannot
// make out within MAX_INTERIM_HEAD bytes is passed on untouched: undici then refuses it, as before.
import diagnostics from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { buildConnector } from "undici";

/** The most bytes one `100` head may take before the filter gives up and passes everything on. */
const MAX_INTERIM_HEAD = 8 * 1024;

const STATE = Symbol("auth-elements.interim-filter");

interface FilterState {
  /** True from a request head written to the first byte of its answer that is not a 100 head. */
  atAnswerStart: boolean;
  /** Bytes held back while they may still be the start of a 100 head. */
  held: Buffer | null;
}

type FilteredSocket = Socket & { [STATE]?: FilterState };

let subscribed = false;

/** Marks the connection of each request undici starts: its answer begins with the next byte. */
function watchRequestHeads(): void {
  if (subscribed) return;
  subscribed = true;
  diagnostics.subscribe("undici:client:sendHeaders", (message) => {
    const state = (message as { socket?: FilteredSocket }).socket?.[STATE];
    if (state) state.atAnswerStart = true;
  });
}

const PREFIX = "HTTP/1.1 100";
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const CR = 0x0d;
const HEAD_END = Buffer.from("\r\n\r\n");

/**
 * At the start of `data`: the length of a complete `100` head (> 0), 0 when `data` does not start
 * with one, or -1 when it may still be one and more bytes are needed to tell.
 */
export function interimHeadLength(data: Buffer): number {
  // Most answers differ at their status code: look there first, then byte by byte against
  // "HTTP/1.1 100" (or "HTTP/1.0 100").
  if (data.length >= PREFIX.length && (data[9] !== DIGIT_1 || data[10] !== DIGIT_0 || data[11] !== DIGIT_0)) return 0;
  const seen = Math.min(data.length, PREFIX.length);
  for (let i = 0; i < seen; i++) {
    const byte = data[i]!;
    if (byte !== PREFIX.charCodeAt(i) && !(i === 7 && byte === DIGIT_0)) return 0;
  }
  if (data.length <= PREFIX.length) return -1;
  const next = data[PREFIX.length];
  if (next !== SPACE && next !== CR) return 0; // `HTTP/1.1 1000`: not a 100
  const end = data.indexOf(HEAD_END, PREFIX.length);
  return end === -1 ? -1 : end + HEAD_END.length;
}

/** Makes `socket` drop unsolicited 100 heads at the start of each answer (see above). */
function filterInterimAnswers(socket: FilteredSocket): void {
  const state: FilterState = { atAnswerStart: false, held: null };
  socket[STATE] = state;
  const push = socket.push.bind(socket);
  socket.push = (chunk: Buffer | null, encoding?: BufferEncoding): boolean => {
    if (chunk === null) {
      if (state.held) push(state.held);
      state.held = null;
      return push(null);
    }
    if (!state.atAnswerStart) return push(chunk, encoding);
    let data = state.held ? Buffer.concat([state.held, chunk]) : chunk;
    state.held = null;
    for (;;) {
      const length = interimHeadLength(data);
      if (length === 0 || (length === -1 && data.length > MAX_INTERIM_HEAD)) {
        state.atAnswerStart = false;
        return push(data);
      }
      if (length === -1) {
        state.held = data;
        return true;
      }
      data = data.subarray(length);
      if (data.length === 0) return true;
    }
  };
}

/** undici's connector, with every connection it makes filtered (see above). */
export function interimTolerantConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  watchRequestHeads();
  const connect = buildConnector(options);
  return (connectOptions, callback) =>
    connect(connectOptions, (error, socket) => {
      if (socket) filterInterimAnswers(socket as FilteredSocket);
      // undici's callback is typed as two overloads (an error, or none and a socket).
      (callback as (error: Error | null, socket: Socket | null) => void)(error, socket as Socket | null);
    });
}
