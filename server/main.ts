// Entry point of `npm run server` (and `auth-elements serve`): reads the environment, starts, prints
// one line with the URL. A bad setting prints one line naming the variable and exits 1.
// SIGTERM or SIGINT starts the bounded shutdown (ops/shutdown.ts) and exits 0 when it is done, at the
// latest a second after SHUTDOWN_TIMEOUT_MS whatever a dependency does; a second signal exits at once.
import { ConfigError, loadConfig, type Config } from "./config.js";
import { CLIENT_CLOSE_MS } from "./ops/shutdown.js";
import { startSessionServer } from "./start.js";

/** What the shutdown may take beyond SHUTDOWN_TIMEOUT_MS before the process exits regardless. */
const EXIT_GRACE_MS = 1_000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const running = await startSessionServer(config);
  const store = running.backend.kind === "embedded" ? `embedded store in ${config.dataDir}` : running.backend.kind;
  const internal = [
    running.forwardAuthUrl && `forward auth on ${running.forwardAuthUrl}${config.authPrefix}/verify`,
    running.metricsUrl && `metrics on ${running.metricsUrl}/metrics`,
  ].filter(Boolean);
  process.stdout.write(
    `session server listening on ${running.url} (auth service ${running.authServiceUrl}, ${store}${internal.map((part) => `; ${part}`).join("")})\n`,
  );
  if (config.sessionSecretGenerated) {
    running.logger.warn(
      { event: "random_session_secret" },
      "SESSION_SECRET is not set: using a random secret, so sessions end when the server restarts",
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      running.logger.warn({ event: "shutdown_forced", signal }, "second signal: exiting now");
      running.logger.flush();
      process.exit(1);
    }
    stopping = true;
    running.logger.info({ event: "signal", signal }, "signal received");
    // The shutdown bounds itself; this timer is the backstop that keeps the promise in the design.
    setTimeout(() => process.exit(0), config.shutdownTimeoutMs + EXIT_GRACE_MS - 50).unref();
    void running.close().then(() => {
      running.logger.flush();
      // Let the log line reach its destination, but never wait past the client close budget.
      setTimeout(() => process.exit(0), Math.min(CLIENT_CLOSE_MS, 100)).unref();
    });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`session server failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
