// The session cookie: its name and flags, and reading the session id from a request.
//
// Threat model and stance:
// - The browser holds only an opaque id (192 random bits from uid-safe, made by express-session),
//   HMAC-signed with SESSION_SECRET (a list, newest first, so old cookies survive rotation). It is
//   read from this one cookie alone, never from a header, query or body. The store never sees it:
//   what it opens (the store key and the token secret, session-keys.ts) is derived here, once per
//   cookie value, and remembered with the verification.
// - HttpOnly (no script can read it), SameSite=Strict, Path=/, no Domain; over HTTPS Secure and a
//   `__Host-` name, so a sibling subdomain cannot set or shadow it.
// - CSRF is handled by http/csrf.ts (X-CSRF header plus Origin checks), not by the cookie alone.
import type { IncomingMessage } from "node:http";
import { unsign } from "cookie-signature";
import type { Response } from "express";
import type { Config } from "../config.js";
import { sessionKeys, type SessionKeys } from "./session-keys.js";

export interface CookieSettings {
  name: string;
  httpOnly: true;
  sameSite: "strict";
  path: "/";
  secure: boolean;
}

export function cookieSettings(config: Pick<Config, "cookieName" | "cookieSecure">): CookieSettings {
  return { name: config.cookieName, httpOnly: true, sameSite: "strict", path: "/", secure: config.cookieSecure };
}

/**
 * A cookie's value as sent (still percent-encoded), or null. A plain scan rather than a full parse:
 * the hot paths only ever want the session cookie. The first occurrence wins, as in express-session's
 * own parser.
 */
export function encodedCookie(req: IncomingMessage, cookieName: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  let at = 0;
  for (;;) {
    const found = header.indexOf(cookieName, at);
    if (found === -1) return null;
    const end = found + cookieName.length;
    const before = found === 0 ? "" : header.slice(0, found).trimEnd();
    if ((before === "" || before.endsWith(";")) && header.slice(end).trimStart().startsWith("=")) {
      const valueStart = header.indexOf("=", end) + 1;
      const semicolon = header.indexOf(";", valueStart);
      let value = header.slice(valueStart, semicolon === -1 ? undefined : semicolon).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      return value;
    }
    at = end;
  }
}

function decodeCookieValue(encoded: string): string | null {
  if (!encoded.includes("%")) return encoded;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

/** Verifies an express-session cookie value (`s:<sid>.<hmac>`) against each secret, newest first. */
function unsignSessionCookie(raw: string, secrets: readonly string[]): string | null {
  if (!raw.startsWith("s:")) return null;
  const signed = raw.slice(2);
  for (const secret of secrets) {
    const sid = unsign(signed, secret);
    if (sid !== false) return sid;
  }
  return null;
}

/** Verified cookie values are remembered (same bytes, same answer), so a hot session skips the HMAC and the HKDFs. */
const VERIFIED_CACHE_LIMIT = 10_000;

/** Reads the session id from the signed cookie of a request, and what it opens. */
export class SessionCookie {
  private readonly verified = new Map<string, SessionKeys>();
  /** The same derivations for ids express-session hands over (login, the flow's previous session). */
  private readonly derived = new Map<string, SessionKeys>();

  constructor(
    readonly settings: CookieSettings,
    private readonly secrets: readonly string[],
  ) {}

  /** What the signed cookie opens; null when absent or badly signed. Never from elsewhere. */
  keys(req: IncomingMessage): SessionKeys | null {
    const encoded = encodedCookie(req, this.settings.name);
    if (encoded === null) return null;
    const known = this.verified.get(encoded);
    if (known !== undefined) return known;
    const raw = decodeCookieValue(encoded);
    const cookieId = raw === null ? null : unsignSessionCookie(raw, this.secrets);
    if (cookieId === null) return null;
    const keys = this.keysOf(cookieId);
    if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
    this.verified.set(encoded, keys);
    return keys;
  }

  /** What a cookie id opens (derived once per id while it is remembered). */
  keysOf(cookieId: string): SessionKeys {
    let keys = this.derived.get(cookieId);
    if (keys === undefined) {
      keys = sessionKeys(cookieId);
      if (this.derived.size >= VERIFIED_CACHE_LIMIT) this.derived.clear();
      this.derived.set(cookieId, keys);
    }
    return keys;
  }

  /** Clears the cookie with the attributes it was set with (a browser ignores a mismatched clear). */
  clear(res: Response): void {
    const { name, path, httpOnly, sameSite, secure } = this.settings;
    res.clearCookie(name, { path, httpOnly, sameSite, secure });
  }
}
