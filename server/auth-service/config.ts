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
  /** SMTP_URL (`smtp://user:pass@host:port`, `smtps://…`); undefined: the dev mailbox under DATA_DIR/mail/. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** LINK_ORIGINS: the exact origins mailed links may point to; empty: every link is refused (400). */
  linkOrigins: string[];
  requireEmailVerification: boolean;
  /** WEBAUTHN_RP_ID as given (checked): the relying party id of passkeys; unset: see webauthnSettings. */
  webauthnRpId: string | undefined;
  /** WEBAUTHN_ORIGINS as given (checked): the exact origins a passkey ceremony may come from; unset: see webauthnSettings. */
  webauthnOrigins: string[] | undefined;
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

function parseOrigins(variable: string, raw: string): string[] {
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new AuthServiceConfigError(variable, `"${entry}" is not an origin (example: https://app.example.com)`);
      }
      if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password || url.origin === "null") {
        throw new AuthServiceConfigError(variable, `"${entry}" must be an http or https origin without credentials`);
      }
      return url.origin;
    });
}

function parseSmtpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AuthServiceConfigError("SMTP_URL", "is not a URL (example: smtp://user:pass@mail.example.com:587)");
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:")
    throw new AuthServiceConfigError("SMTP_URL", "must start with smtp:// or smtps://");
  if (!url.hostname) throw new AuthServiceConfigError("SMTP_URL", "must name a host");
  return url.href;
}

export const DEFAULT_MAIL_FROM = "auth-elements <no-reply@localhost>";

/** `Name <address>` or a bare address; no line breaks (it becomes a mail header). */
function mailFrom(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_MAIL_FROM;
  const value = raw.trim();
  if (/[\r\n]/.test(value) || !/^[^<>@\s]+@[^<>@\s]+$|^[^<>]*<[^<>@\s]+@[^<>@\s]+>$/.test(value)) {
    throw new AuthServiceConfigError(
      "MAIL_FROM",
      `"${raw}" is not an address (examples: no-reply@example.com, Example <no-reply@example.com>)`,
    );
  }
  return value;
}

function parseBoolean(variable: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new AuthServiceConfigError(variable, `"${raw}" is not true or false`);
}

/** `npm start`'s demo: the page is http://localhost:3000 (WebAuthn refuses IP-address origins such as 127.0.0.1). */
export const DEFAULT_WEBAUTHN_ORIGINS = ["http://localhost:3000"];

/** Whether `host` is `rpId` or a subdomain of it: the only origins a WebAuthn RP id can serve. */
export function rpIdFits(rpId: string, host: string): boolean {
  return host === rpId || host.endsWith(`.${rpId}`);
}

/**
 * The relying party: WEBAUTHN_RP_ID (default: the first origin's host) and WEBAUTHN_ORIGINS (default: the RP id's
 * https origin, or without an RP id the demo's http://localhost:3000), checked against each other.
 */
export function webauthnSettings(
  rawRpId: string | undefined,
  rawOrigins: readonly string[] | undefined,
): { rpId: string; origins: string[] } {
  const given = rawRpId?.trim().toLowerCase();
  const origins = [...(rawOrigins ?? (given !== undefined && given !== "localhost" ? [`https://${given}`] : DEFAULT_WEBAUTHN_ORIGINS))];
  if (origins.length === 0) throw new AuthServiceConfigError("WEBAUTHN_ORIGINS", "must name at least one origin");
  const rpId = given ?? new URL(origins[0]!).hostname;
  if (
    !/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/.test(rpId) ||
    /^[\d.]+$/.test(rpId)
  ) {
    throw new AuthServiceConfigError("WEBAUTHN_RP_ID", `"${rpId}" is not a domain name (examples: example.com, localhost)`);
  }
  for (const origin of origins) {
    const url = new URL(origin);
    if (!rpIdFits(rpId, url.hostname)) {
      throw new AuthServiceConfigError("WEBAUTHN_ORIGINS", `${origin} is not on WEBAUTHN_RP_ID ${rpId} or one of its subdomains`);
    }
    if (url.protocol !== "https:" && url.hostname !== "localhost" && !url.hostname.endsWith(".localhost")) {
      throw new AuthServiceConfigError("WEBAUTHN_ORIGINS", `${origin} must be https (browsers allow http only on localhost)`);
    }
  }
  return { rpId, origins };
}

export function loadAuthServiceConfig(env: Env = process.env): AuthServiceConfig {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value;
  };
  const webauthnRpId = get("WEBAUTHN_RP_ID")?.trim().toLowerCase();
  const webauthnOrigins = get("WEBAUTHN_ORIGINS") !== undefined ? parseOrigins("WEBAUTHN_ORIGINS", get("WEBAUTHN_ORIGINS")!) : undefined;
  webauthnSettings(webauthnRpId, webauthnOrigins); // checked now, applied at start (where defaults may depend on the origin)
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
    smtpUrl: get("SMTP_URL") !== undefined ? parseSmtpUrl(get("SMTP_URL")!) : undefined,
    mailFrom: mailFrom(get("MAIL_FROM")),
    linkOrigins: parseOrigins("LINK_ORIGINS", get("LINK_ORIGINS") ?? ""),
    requireEmailVerification: parseBoolean("REQUIRE_EMAIL_VERIFICATION", get("REQUIRE_EMAIL_VERIFICATION") ?? "false"),
    webauthnRpId,
    webauthnOrigins,
  });
}
