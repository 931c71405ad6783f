// The upstream connections' filter for unsolicited `100 Continue` heads (server/gateway/interim-responses.ts):
// what it takes for a 100 head, and that it hands every other byte to undici unchanged, even when an
// answer arrives one byte at a time or several 100s come first. Real HTTP: a raw TCP upstream.
import net from "node:net";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { interimHeadLength, interimTolerantConnector } from "../../../server/gateway/interim-responses.js";

describe("interimHeadLength", () => {
  it.each([
    ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK", 25],
    ["HTTP/1.0 100\r\n\r\n", 16],
    ["HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\n", 33],
  ])("a complete 100 head at the start of %j is %d bytes", (text, length) => {
    expect(interimHeadLength(Buffer.from(text, "latin1"))).toBe(length);
  });

  it.each([
    "HTTP/1.1 200 OK\r\n\r\n",
    "HTTP/1.1 103 Early Hints\r\n\r\n",
    "HTTP/1.1 1000 X\r\n\r\n",
    "XTTP/1.1 100",
    "HTTP/2 100 \r\n\r\n",
  ])("%j does not start with a 100 head", (text) => expect(interimHeadLength(Buffer.from(text, "latin1"))).toBe(0));

  it.each(["H", "HTTP/1.1 1", "HTTP/1.1 100", "HTTP/1.1 100 Continue\r\n"])("%j may still be one: more bytes are needed", (text) => {
    expect(interimHeadLength(Buffer.from(text, "latin1"))).toBe(-1);
  });
});

describe("an undici pool with the interim-tolerant connector", () => {
  let server: net.Server | undefined;
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** A raw upstream that answers each request with `answer`, written in pieces of `piece` bytes. */
  async function upstream(answer: string, piece: number): Promise<string> {
    server = net.createServer((socket) => {
      let seen = "";
      socket.on("data", async (chunk) => {
        seen += chunk.toString("latin1");
        while (seen.includes("\r\n\r\n")) {
          seen = seen.slice(seen.indexOf("\r\n\r\n") + 4);
          const bytes = Buffer.from(answer, "latin1");
          for (let at = 0; at < bytes.length; at += piece) {
            socket.write(bytes.subarray(at, at + piece));
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  const body = "HTTP/1.1 100 Continue\r\n\r\nin the body";
  const final = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

  it.each([
    ["in one piece", 4096],
    ["one byte at a time", 1],
    ["in pieces of 7 bytes", 7],
  ])("drops two 100 heads sent %s, and passes the final answer on byte for byte, twice on one connection", async (_label, piece) => {
    const origin = await upstream(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100\r\n\r\n${final}`, piece);
    pool = new Pool(origin, { connections: 1, pipelining: 1, connect: interimTolerantConnector({ timeout: 2_000 }) });
    for (let i = 0; i < 2; i++) {
      const response = await pool.request({ path: "/", method: "GET" });
      expect(response.statusCode).toBe(200);
      // A 100 head inside a body is body: only answer starts are looked at.
      expect(await response.body.text()).toBe(body);
    }
  });

  it("without the connector, undici refuses the same answer (what the filter is for)", async () => {
    const origin = await upstream(`HTTP/1.1 100 Continue\r\n\r\n${final}`, 4096);
    pool = new Pool(origin, { connections: 1, pipelining: 1 });
    await expect(pool.request({ path: "/", method: "GET" })).rejects.toThrow();
  });
});
