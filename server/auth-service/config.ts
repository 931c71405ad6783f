// The reference auth service's own configuration reader (it shares nothing with the session server,
// which it only ever meets over HTTP): environment variables in, a validated frozen config out; a
// bad value throws AuthServiceConfigError naming the variable.
import path from "node:path";

export class AuthServiceConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = "AuthServiceConfigError";
  }
}

export interface AuthServiceConfig {
  port: number;
  host: string;
  dataDir: string;
  jwtLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  issuer: string | undefined;
  audience: string;
  minPasswordLength: number;
}

type Env = Record<string, string | undefined>;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `15m`, `12h`, `7d` in whole seconds (a bare number means seconds). */
function seconds(variable: string, raw: string): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(raw.trim());
  const value = match ? Number(match[1]) * UNITS[match[2] ?? "s"]! : NaN;
  if (!(value > 0)) throw new AuthServiceConfigError(variable, `"${raw}" is not a positive duration (examples: 120s, 15m, 30d)`);
  return value;
}

function wholeNumber(variable: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new AuthServiceConfigError(variable, `"${raw}" must be a whole number from ${min} to ${max}`);
  return value;
}

export function loadAuthServiceConfig(env: Env = process.env): AuthServiceConfig {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value;
  };
  return Object.freeze({
    port: wholeNumber("AUTH_SERVICE_PORT", get("AUTH_SERVICE_PORT") ?? get("PORT") ?? "8001", 0, 65_535),
    host: get("HOST") ?? "127.0.0.1",
    dataDir: path.resolve(get("DATA_DIR") ?? "./data"),
    // JWT_TTL as design.md names it; JWT_LIFETIME, its first name, still works.
    jwtLifetimeSeconds:
      get("JWT_TTL") !== undefined ? seconds("JWT_TTL", get("JWT_TTL")!) : seconds("JWT_LIFETIME", get("JWT_LIFETIME") ?? "120s"),
    refreshTokenLifetimeSeconds: seconds("REFRESH_TOKEN_LIFETIME", get("REFRESH_TOKEN_LIFETIME") ?? "30d"),
    issuer: get("JWT_ISSUER"),
    audience: get("JWT_AUDIENCE") ?? "auth-elements",
    minPasswordLength: wholeNumber("MIN_PASSWORD_LENGTH", get("MIN_PASSWORD_LENGTH") ?? "8", 1, 1024),
  });
}
