// A reference point for the gateway benchmark: the cheapest proxy hop Node can make with the same
// parts (node:http in front, a pooled undici client behind, answers streamed back), with none of the
// gateway's work: no session, no CSRF or CORS checks, no header filtering, a fixed bearer token of a
// real JWT's size. What it reaches against the direct call is the most any Node gateway can reach on
// this machine; bench/run.mjs prints it beside the gateway. Not a gateway: never deploy it.
// `UPSTREAM=http://… PORT=… node bench/bare-proxy.mjs`; forwards `/api/<name>/<path>` to `<path>`.
import http from "node:http";
import { Pool } from "undici";

const pool = new Pool(process.env.UPSTREAM, { connections: 128, pipelining: 1 });
const bearer = `Bearer ${"x".repeat(700)}`;

const server = http.createServer((req, res) => {
  const path = req.url.slice(req.url.indexOf("/", "/api/".length));
  const headers = ["authorization", bearer, "x-forwarded-for", req.socket.remoteAddress ?? "", "x-forwarded-proto", "http"];
  let resume;
  pool.dispatch(
    { method: req.method, path, headers },
    {
      onConnect() {},
      onHeaders(statusCode, rawHeaders, resumeUpstream) {
        resume = resumeUpstream;
        const list = [];
        for (let i = 0; i < rawHeaders.length; i += 2) list.push(rawHeaders[i].toString("latin1"), rawHeaders[i + 1].toString("latin1"));
        res.writeHead(statusCode, list);
        return true;
      },
      onData(chunk) {
        const flowing = res.write(chunk);
        if (!flowing) res.once("drain", resume);
        return flowing;
      },
      onComplete() {
        res.end();
      },
      onError() {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      },
    },
  );
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`bare proxy listening on http://127.0.0.1:${server.address().port}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => server.close(() => process.exit(0)));
