// The newest tokens of an OpenID Connect session, kept beside its record in the shared key-value
// store (Redis: every instance sees the same), under the session's store key with a TTL that ends
// with the session's absolute timeout, sealed with the session's secret (session-keys.ts): a copy
// of the store holds no provider token, and only a request with the session's cookie opens them.
//
// Why beside the record: a refresh may rotate the refresh token, and express-session saves the whole
// record, last write wins (security.md 21): a rotated token written into the record by the gateway
// could be overwritten by any route saving an older copy, and the next refresh would then replay a
// spent token (which a provider with reuse detection answers by revoking the whole grant). Here the
// one writer is the single-flight refresh (gateway/jwt-provider.ts), under its lock.
// The record keeps the tokens of the sign-in (sealed too); they count until the first refresh writes here.
import type { KeyValueStore } from "./key-value.js";
import type { ProviderTokens } from "./record.js";
import { tokensOf, type SessionSecret } from "./session-keys.js";

const tokensKey = (sid: string): string => `oidc-tokens:${sid}`;

export interface CurrentTokens {
  tokens: ProviderTokens;
  /** Epoch ms when they were obtained: their lifetime is `expiresAt - obtainedAt`. */
  obtainedAt: number;
}

/** An OIDC session as this store needs it: its store key, the secret its cookie opened, its sealed sign-in tokens. */
export interface SealedSession {
  sid: string;
  secret: SessionSecret;
  sealed: string;
  createdAt: number;
}

export class ProviderTokenStore {
  constructor(
    private readonly kv: KeyValueStore,
    /** SESSION_ABSOLUTE_TIMEOUT: no session outlives it, so neither do its tokens. */
    private readonly absoluteMs: number,
  ) {}

  /** The session's newest tokens: the last refresh's, else the sign-in's; null when its secret opens neither. */
  async current(session: SealedSession): Promise<CurrentTokens | null> {
    const stored = session.secret.open<Partial<CurrentTokens>>("provider-tokens", await this.kv.get(tokensKey(session.sid)));
    const tokens = stored?.tokens;
    if (
      typeof stored?.obtainedAt === "number" &&
      typeof tokens?.accessToken === "string" &&
      typeof tokens.expiresAt === "number" &&
      typeof tokens.idToken === "string"
    ) {
      return stored as CurrentTokens;
    }
    const signIn = tokensOf(session)?.provider;
    return signIn ? { tokens: signIn, obtainedAt: session.createdAt } : null;
  }

  /** Keeps a refresh's tokens, sealed, until the session's absolute end. */
  async save(session: SealedSession, current: CurrentTokens): Promise<void> {
    const ttlMs = session.createdAt + this.absoluteMs - Date.now();
    if (ttlMs > 0) await this.kv.set(tokensKey(session.sid), session.secret.seal("provider-tokens", current), ttlMs);
  }

  forget(sid: string): Promise<void> {
    return this.kv.delete(tokensKey(sid));
  }
}
