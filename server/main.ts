// Entry point of `npm run server`: reads the environment, starts, prints one line with the URL.
// A bad setting prints one line naming the variable and exits 1.
import { ConfigError, loadConfig } from "./config.js";
import { startSessionServer } from "./start.js";

async function main(): Promise<void> {
  let config;
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
  process.stdout.write(`session server listening on ${running.url} (auth service ${running.authServiceUrl}, ${store})\n`);
  if (config.sessionSecretGenerated) {
    running.logger.warn(
      { event: "random_session_secret" },
      "SESSION_SECRET is not set: using a random secret, so sessions end when the server restarts",
    );
  }

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await running.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`session server failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
