// The newest tokens of an OpenID Connect session, kept beside its record in the shared key-value
// store (Redis: every instance sees the same), under the session's own key with a TTL that ends with
// the session's absolute timeout.
//
// Why beside the record: a refresh may rotate the refresh token, and express-session saves the whole
// record, last write wins (security.md 21): a rotated token written into the record by the gateway
// could be overwritten by any route saving an older copy, and the next refresh would then replay a
// spent token (which a provider with reuse detection answers by revoking the whole grant). Here the
// one writer is the single-flight refresh (gateway/jwt-provider.ts), under its lock.
// The record keeps the tokens of the sign-in; they count until the first refresh writes here.
import type { KeyValueStore } from "./key-value.js";
import type { OidcSessionRecord, ProviderTokens } from "./record.js";

const tokensKey = (sid: string): string => `oidc-tokens:${sid}`;

export interface CurrentTokens {
  tokens: ProviderTokens;
  /** Epoch ms when they were obtained: their lifetime is `expiresAt - obtainedAt`. */
  obtainedAt: number;
}

export class ProviderTokenStore {
  constructor(
    private readonly kv: KeyValueStore,
    /** SESSION_ABSOLUTE_TIMEOUT: no session outlives it, so neither do its tokens. */
    private readonly absoluteMs: number,
  ) {}

  /** The session's newest tokens: the last refresh's, else the sign-in's. */
  async current(sid: string, record: OidcSessionRecord): Promise<CurrentTokens> {
    const raw = await this.kv.get(tokensKey(sid));
    if (raw !== null) {
      try {
        const stored = JSON.parse(raw) as Partial<CurrentTokens>;
        const tokens = stored.tokens;
        if (
          typeof stored.obtainedAt === "number" &&
          typeof tokens?.accessToken === "string" &&
          typeof tokens.expiresAt === "number" &&
          typeof tokens.idToken === "string"
        ) {
          return stored as CurrentTokens;
        }
      } catch {
        // unreadable: fall back to the sign-in's tokens
      }
    }
    return { tokens: record.oidc.tokens, obtainedAt: record.createdAt };
  }

  /** Keeps a refresh's tokens until the session's absolute end. */
  async save(sid: string, record: OidcSessionRecord, current: CurrentTokens): Promise<void> {
    const ttlMs = record.createdAt + this.absoluteMs - Date.now();
    if (ttlMs > 0) await this.kv.set(tokensKey(sid), JSON.stringify(current), ttlMs);
  }

  forget(sid: string): Promise<void> {
    return this.kv.delete(tokensKey(sid));
  }
}
