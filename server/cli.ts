#!/usr/bin/env node
// The package's command, `auth-elements` (package.json `bin`): `auth-elements serve` starts the
// session server (main.ts), `auth-elements auth-service` the reference auth service
// (auth-service/main.ts); both read the environment variables of README's configuration table.
const USAGE = `usage: auth-elements <command>

  serve          start the session server (PORT, HOST, AUTH_SERVICE, REDIS_URL, … from the environment)
  auth-service   start the reference auth service (AUTH_SERVICE_PORT, DATA_DIR, …)

Configuration: environment variables, see the README's configuration table.
`;

const command = process.argv[2];
if (command === "serve") await import("./main.js");
else if (command === "auth-service") await import("./auth-service/main.js");
else if (command === undefined || command === "help" || command === "--help" || command === "-h") process.stdout.write(USAGE);
else {
  process.stderr.write(`auth-elements: unknown command "${command}"\n\n${USAGE}`);
  process.exitCode = 2;
}
