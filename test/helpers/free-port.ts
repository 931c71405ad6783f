// Free TCP ports on loopback for test processes (redis-server, closed-port fixtures). Never 6379,
// so a developer's own Redis is never touched.
import net from "node:net";

const RESERVED = new Set([6379]);

/** A port that was free a moment ago: bind to port 0, read the port, release it. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (!RESERVED.has(port)) return port;
  }
}

/** An origin on which nothing listens: connections are refused at once. */
export async function closedOrigin(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
