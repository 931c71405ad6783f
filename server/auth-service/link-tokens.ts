// The tokens of mailed links (password reset, e-mail verification) and the origins those links may point to.
// Threat model: whoever holds a token can reset a password or verify an address, so a token is 256 random bits,
// only its SHA-256 is stored (a copy of the database yields no usable link), it is spent by its first use and
// expires (reset 30 minutes, verification 24 hours); and a link is only ever mailed to an allowed origin, so a caller
// cannot have a victim's token mailed inside a link to a page of its own.
import { createHash, randomBytes } from "node:crypto";

export const RESET_TOKEN_LIFETIME_SECONDS = 30 * 60;
export const VERIFICATION_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/** What a link token looks like on the wire (base64url of 32 bytes); anything else is unknown without a lookup. */
export const LINK_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** A new token (shown once, in the mail) and the hash to store for it. */
export function newLinkToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashLinkToken(token) };
}

export function hashLinkToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * The link to mail: `url` with `token=<token>` added to its query. Undefined when `url` is not an absolute http(s)
 * URL on one of `allowedOrigins` (exact origins), so the caller answers 400 and mails nothing.
 */
export function linkFor(url: unknown, token: string, allowedOrigins: readonly string[]): string | undefined {
  const parsed = allowedLinkUrl(url, allowedOrigins);
  if (!parsed) return undefined;
  parsed.searchParams.set("token", token);
  return parsed.href;
}

/** The URL when it may carry a token (an http(s) URL on an allowed origin, no credentials), else undefined. */
export function allowedLinkUrl(url: unknown, allowedOrigins: readonly string[]): URL | undefined {
  if (typeof url !== "string" || url.length > 2048) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
  if (parsed.username || parsed.password) return undefined;
  return allowedOrigins.includes(parsed.origin) ? parsed : undefined;
}
