// A minimal upstream for the gateway benchmark: a bare Node server answering a small JSON body.
// Run as its own process by bench/run.mjs.
import http from "node:http";

const body = JSON.stringify({ ok: true, items: [1, 2, 3], message: "hello from the upstream" });
const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`echo upstream listening on http://127.0.0.1:${server.address().port}\n`);
});
