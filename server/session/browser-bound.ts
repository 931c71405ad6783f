// One-time entries kept server-side and bound to the browser that made them: the state of a sign-in
// with a provider (routes/oidc.ts: PKCE verifier, nonce, returnTo, for 10 minutes), the handle of
// an RP-initiated logout (the ID token for `id_token_hint`, which no page script may see), and the
// challenge of a passkey sign-in (routes/passkeys.ts, 5 minutes; its handle is the challenge itself).
// Each use has its own cookie (`auth.<purpose>`).
//
// Threat model and stance:
// - The entry lives in the shared key-value store (Redis or the embedded one), under a one-way hash
//   of its handle, with a TTL; the browser (or the provider, for a `state`) only ever holds the handle.
// - It is bound to the browser by a separate cookie: a random value, HttpOnly, `SameSite=Lax` (the
//   provider sends the browser back cross-site, where a Strict cookie would not come along), Path=/,
//   `Max-Age` = the entry's TTL (at most 600 s), Secure with a `__Host-` name over HTTPS. The entry
//   keeps a hash of that value: a handle used from another browser (login CSRF: an attacker's
//   callback URL opened by a victim) does not match.
// - What must stay secret (a PKCE verifier, a nonce, the cookie id of the session a sign-in replaces,
//   an ID token) is sealed with AES-256-GCM under a key derived from that binding cookie
//   (session-keys.ts): a copy of the store holds none of it, and another browser cannot open it.
//   The rest (the provider, where to go back) stays readable, to answer a refused attempt.
// - Taking is single use across instances: the first taker claims the handle (SET NX) before it reads
//   the entry, so a replay, even a concurrent one, finds it spent. A handle taken from another browser
//   is spent too: it never works afterwards.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Response } from "express";
import { encodedCookie } from "./cookie.js";
import type { KeyValueStore } from "./key-value.js";
import { secretOf, type SessionSecret } from "./session-keys.js";

/** The longest an entry (and its cookie) may live. */
export const MAX_BOUND_TTL_MS = 600_000;

const BINDING_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

export interface TakenEntry<T, S> {
  value: T;
  /** The sealed part, opened: only for the browser that made the entry. */
  secret: S | undefined;
  /** False when the handle came from a browser without this entry's binding cookie. */
  sameBrowser: boolean;
}

const bindingSecret = (binding: string): SessionSecret => secretOf(binding, "browser-bound entry");

export class BrowserBoundEntries {
  readonly cookieName: string;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly cookie: { secure: boolean; purpose?: string },
  ) {
    const name = `auth.${cookie.purpose ?? "oidc"}`;
    this.cookieName = cookie.secure ? `__Host-${name}` : name;
  }

  /**
   * Stores `value`, and `secret` sealed, for `ttlMs` bound to this browser (setting its binding
   * cookie); returns the handle: `handle` when given (a value already random and unique, such as a
   * WebAuthn challenge), else a new random one.
   */
  async put(
    req: IncomingMessage,
    res: Response,
    kind: string,
    value: unknown,
    secret: unknown,
    ttlMs: number,
    handle: string = randomBytes(32).toString("base64url"),
  ): Promise<string> {
    const ttl = Math.min(ttlMs, MAX_BOUND_TTL_MS);
    // One binding per browser, kept while it has entries in flight: two tabs signing in at once both work.
    const binding = this.binding(req) ?? randomBytes(32).toString("base64url");
    const sealed = bindingSecret(binding).seal("browser-bound", secret);
    await this.kv.set(entryKey(kind, handle), JSON.stringify({ value, sealed, browser: digest(binding).toString("base64url") }), ttl);
    res.cookie(this.cookieName, binding, { httpOnly: true, sameSite: "lax", secure: this.cookie.secure, path: "/", maxAge: ttl });
    return handle;
  }

  /** Takes the entry of `handle` (once, ever); null when unknown, expired or already taken. */
  async take<T, S>(req: IncomingMessage, kind: string, handle: string): Promise<TakenEntry<T, S> | null> {
    if (handle.length === 0 || handle.length > 256) return null;
    const key = entryKey(kind, handle);
    if (!(await this.kv.setIfAbsent(`${key}:spent`, "1", MAX_BOUND_TTL_MS))) return null;
    const raw = await this.kv.get(key);
    if (raw === null) return null;
    await this.kv.delete(key);
    let stored: { value: T; sealed: string; browser: string };
    try {
      stored = JSON.parse(raw) as { value: T; sealed: string; browser: string };
    } catch {
      return null;
    }
    const binding = this.binding(req);
    const expected = Buffer.from(String(stored.browser), "base64url");
    const sameBrowser = binding !== null && expected.length === 32 && timingSafeEqual(digest(binding), expected);
    const secret = sameBrowser ? (bindingSecret(binding).open<S>("browser-bound", stored.sealed) ?? undefined) : undefined;
    return { value: stored.value, secret, sameBrowser: secret !== undefined };
  }

  /** Clears the binding cookie with the attributes it was set with. */
  clear(res: Response): void {
    res.clearCookie(this.cookieName, { httpOnly: true, sameSite: "lax", secure: this.cookie.secure, path: "/" });
  }

  private binding(req: IncomingMessage): string | null {
    const value = encodedCookie(req, this.cookieName);
    return value !== null && BINDING_PATTERN.test(value) ? value : null;
  }
}

/** Store keys hold a hash of the handle, never the handle itself. */
const entryKey = (kind: string, handle: string): string => `${kind}:${digest(handle).toString("base64url")}`;
