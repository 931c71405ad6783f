// Test tools for the API gateway: an echo upstream that records what reaches it and can misbehave on
// request (hang, redirect, Set-Cookie, slow or large bodies, any status), a raw GET that sends the
// request target byte for byte (fetch and URL normalise `..` and `%2e`; the client is raw-http.ts),
// and small helpers to sign a user up and read JWTs.
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { decodeJwt } from "jose";
import { rawRequest, type RawAnswer } from "./raw-http.js";
import { PASSWORD, uniqueEmail, type CookieClient } from "./session-server.js";

export interface EchoRequest {
  method: string;
  /** The request target exactly as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  bodySha256: string;
  /** False when the request body was aborted before its end. */
  complete: boolean;
  receivedAt: number;
}

export interface EchoUpstream {
  /** Origin, e.g. http://127.0.0.1:40123. */
  origin: string;
  port: number;
  /** Every request that reached the upstream (complete or aborted), in order of arrival. */
  requests: EchoRequest[];
  /** Requests whose headers arrived (counted before the body is read). */
  arrivals: number;
  /** Timestamp at which the last /slow response was fully written. */
  lastSlowEndAt: number;
  reset(): void;
  close(): Promise<void>;
}

/**
 * An upstream that answers by the last path segment(s) after its base:
 * - `.../hang`: never answers (until close);
 * - `.../redirect`: 302 with `Location: /elsewhere` (a followed redirect would show up as a second request);
 * - `.../set-cookie`: 200 with two Set-Cookie headers;
 * - `.../non-ascii-headers`: 200 with header values that are not ASCII: `X-Utf8` holds the UTF-8 bytes
 *   of "café", `X-Latin1` the single byte 0xE9 (not UTF-8);
 * - `.../status/<n>`: that status with a small JSON body (401 carries WWW-Authenticate);
 * - `.../slow?chunks=N&delay=MS&size=B`: N chunks of B bytes, MS apart;
 * - `.../big?bytes=N`: N bytes of a deterministic pattern;
 * - `.../early-hints`: a `103 Early Hints` first, then the usual 200 JSON;
 * - `.../continue`: an unsolicited `100 Continue` first, then the usual 200 JSON;
 * - anything else: 200 JSON `{ok, method, url, bodyLength, bodySha256}` (never echoes headers, so
 *   no secret sent upstream comes back through the gateway by the upstream's doing).
 * Request bodies are always read fully before answering.
 */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  const sockets = new Set<Socket>();
  const pendingHangs = new Set<http.ServerResponse>();
  const state: EchoUpstream = {
    origin: "",
    port: 0,
    requests: [],
    arrivals: 0,
    lastSlowEndAt: 0,
    reset() {
      state.requests.length = 0;
      state.arrivals = 0;
    },
    close: async () => {
      for (const res of pendingHangs) res.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };

  const server = http.createServer((req, res) => {
    state.arrivals += 1;
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    let finished = false;
    const record = (complete: boolean): EchoRequest => {
      const body = Buffer.concat(chunks);
      const entry: EchoRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
        bodySha256: createHash("sha256").update(body).digest("hex"),
        complete,
        receivedAt,
      };
      state.requests.push(entry);
      return entry;
    };
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", () => undefined);
    req.on("close", () => {
      if (!finished) {
        finished = true;
        record(false);
      }
    });
    req.on("end", () => {
      finished = true;
      const entry = record(true);
      void answer(entry, res).catch(() => res.destroy());
    });
  });

  async function answer(entry: EchoRequest, res: http.ServerResponse): Promise<void> {
    const url = new URL(entry.url, "http://echo.invalid");
    const path = url.pathname;
    if (path.endsWith("/hang")) {
      pendingHangs.add(res);
      res.on("close", () => pendingHangs.delete(res));
      return;
    }
    if (path.endsWith("/redirect")) {
      res.writeHead(302, { location: "/elsewhere", "content-type": "text/plain" });
      res.end("moved");
      return;
    }
    if (path.endsWith("/non-ascii-headers")) {
      // Node writes a header string's characters as bytes (latin1): these are the bytes on the wire.
      res.setHeader("x-utf8", Buffer.from("café", "utf8").toString("latin1"));
      res.setHeader("x-latin1", "\u00e9");
      res.setHeader("content-type", "application/json");
      // A Buffer body: Node then writes the head as latin1 (with a string body, in the body's encoding).
      res.end(Buffer.from(JSON.stringify({ ok: true })));
      return;
    }
    if (path.endsWith("/set-cookie")) {
      res.setHeader("set-cookie", ["upstream=1; Path=/", "auth.sid=stolen; Path=/; HttpOnly"]);
      res.setHeader("x-upstream", "yes");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    const status = /\/status\/(\d{3})$/.exec(path);
    if (status) {
      const code = Number(status[1]);
      const headers: Record<string, string> = { "content-type": "application/json", "x-upstream": "yes" };
      if (code === 401) headers["www-authenticate"] = 'Bearer error="invalid_token"';
      res.writeHead(code, headers);
      res.end(JSON.stringify({ upstreamStatus: code }));
      return;
    }
    if (path.endsWith("/slow")) {
      const chunks = Number(url.searchParams.get("chunks") ?? 5);
      const delay = Number(url.searchParams.get("delay") ?? 100);
      const size = Number(url.searchParams.get("size") ?? 1024);
      res.writeHead(200, { "content-type": "application/octet-stream" });
      for (let i = 0; i < chunks; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        if (res.destroyed) return;
        res.write(Buffer.alloc(size, 97 + (i % 26)));
      }
      state.lastSlowEndAt = Date.now();
      res.end();
      return;
    }
    if (path.endsWith("/early-hints")) res.writeEarlyHints({ link: "</app.css>; rel=preload; as=style" });
    if (path.endsWith("/continue")) res.writeContinue();
    if (path.endsWith("/big")) {
      const bytes = Number(url.searchParams.get("bytes") ?? 1024);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes) });
      res.end(patternBytes(bytes));
      return;
    }
    const text = JSON.stringify({
      ok: true,
      method: entry.method,
      url: entry.url,
      bodyLength: entry.body.length,
      bodySha256: entry.bodySha256,
    });
    res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes", "cache-control": "private, max-age=5" });
    res.end(text);
  }

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as AddressInfo).port;
  state.origin = `http://127.0.0.1:${state.port}`;
  return state;
}

/** A deterministic byte pattern of the given length (not all one byte, so reordering shows). */
export function patternBytes(length: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buffer[i] = (i * 31 + (i >> 8)) & 0xff;
  return buffer;
}

export const sha256 = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");

// ---------------------------------------------------------------------------------------------

/** A raw GET to the gateway with the client's session cookie and `X-CSRF: 1`. */
export function rawGatewayGet(client: CookieClient, target: string, extraHeaders: string[] = []): Promise<RawAnswer> {
  const { host } = new URL(client.baseUrl);
  return rawRequest(
    client.baseUrl,
    [`GET ${target} HTTP/1.1`, `Host: ${host}`, "X-CSRF: 1", `Cookie: ${client.cookieHeader()}`, ...extraHeaders].join("\r\n"),
  );
}

// ---------------------------------------------------------------------------------------------

/** Signs up a fresh user through the session server; returns the user id the server reports. */
export async function signUp(client: CookieClient, tag = "gw"): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(tag);
  const response = await client.post("/auth/signup", { email, password: PASSWORD });
  if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${response.text}`);
  return { id: response.body.user.id as string, email };
}

/** Logs in an existing user on this client. */
export async function logIn(client: CookieClient, email: string): Promise<void> {
  const response = await client.post("/auth/login", { email, password: PASSWORD });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
}

/** The bearer token of an upstream request. */
export function bearerOf(request: EchoRequest): string {
  const match = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ""));
  if (!match) throw new Error(`no bearer token in ${String(request.headers.authorization)}`);
  return match[1]!;
}

/** `exp` of a JWT, in epoch milliseconds. */
export function expiryMs(jwt: string): number {
  const exp = decodeJwt(jwt).exp;
  if (typeof exp !== "number") throw new Error("JWT without exp");
  return exp * 1000;
}

/** Gateway GET with the X-CSRF header. */
export function apiGet(client: CookieClient, path: string, headers: Record<string, string | undefined> = {}) {
  return client.get(path, { headers: { "x-csrf": "1", ...headers } });
}
