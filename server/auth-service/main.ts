// Entry point of `npm run auth-service`: reads the environment, starts the reference auth service, stops on SIGINT/SIGTERM.
import { AuthServiceConfigError, loadAuthServiceConfig, type AuthServiceConfig } from "./config.js";
import { startAuthService } from "./index.js";

let config: AuthServiceConfig;
try {
  config = loadAuthServiceConfig();
} catch (error) {
  if (!(error instanceof AuthServiceConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

try {
  const service = await startAuthService({
    dataDir: config.dataDir,
    port: config.port,
    host: config.host,
    jwtLifetimeSeconds: config.jwtLifetimeSeconds,
    refreshTokenLifetimeSeconds: config.refreshTokenLifetimeSeconds,
    ...(config.issuer !== undefined ? { issuer: config.issuer } : {}),
    audience: config.audience,
    minPasswordLength: config.minPasswordLength,
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
    linkOrigins: config.linkOrigins,
    requireEmailVerification: config.requireEmailVerification,
    webauthnRpId: config.webauthnRpId,
    webauthnOrigins: config.webauthnOrigins,
  });
  process.stdout.write(`auth service listening on ${service.url} (mail: ${service.mail})\n`);
  process.stdout.write(`auth service: passkeys for RP id ${service.webauthn.rpId} on ${service.webauthn.origins.join(", ")}\n`);
  if (config.linkOrigins.length === 0) {
    process.stderr.write("auth service: LINK_ORIGINS is not set, so reset and verification links are refused (400)\n");
  }

  const stop = (): void => {
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  // A port in use or an unreadable data directory: one line, no stack.
  process.stderr.write(`auth service could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
