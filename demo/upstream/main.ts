// Entry point of the demo notes service alone: `AUTH_SERVICE=http://127.0.0.1:8001 node dist/server/demo/upstream/main.js`.
import { parseOrigin, parsePort, ConfigError } from "../../server/config.js";
import { startNotesService } from "./notes-service.js";

try {
  const authServiceUrl = parseOrigin("AUTH_SERVICE", process.env.AUTH_SERVICE ?? "http://127.0.0.1:8001");
  const port = parsePort("NOTES_PORT", process.env.NOTES_PORT ?? "4001");
  const running = await startNotesService({ authServiceUrl, port });
  process.stdout.write(`notes service listening on ${running.url}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? "configuration error: " : ""}${(error as Error).message}\n`);
  process.exit(1);
}
