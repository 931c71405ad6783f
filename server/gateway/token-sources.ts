// The two sources of a gateway bearer, behind the one single-flight provider (jwt-provider.ts):
// - a session signed in through the auth service: a JWT from `GET /api/users/<id>` with its refresh token;
// - a session signed in through an OIDC provider: the provider's access token, as long as it is good
//   for the renewal margin, else a refresh with the newest refresh token. Rotation is honoured: the
//   refreshed tokens are kept beside the session (session/provider-tokens.ts) before the provider's
//   lock is released. A refused refresh (`invalid_grant`) is RefreshTokenRejected: the gateway ends
//   the session (401 session_expired); anything transient keeps it (503). Tokens are opened here, on
//   a cache miss only, with the secret the request's cookie opened (session-keys.ts); tokens that
//   secret does not open (tampered) end the session like a refused grant.
import { RefreshTokenRejected, type AuthServiceClient } from "../auth-client/client.js";
import type { OidcClients } from "../auth-client/oidc.js";
import type { ProviderTokenStore } from "../session/provider-tokens.js";
import { tokensOf } from "../session/session-keys.js";
import { renewalTime, type TokenSource } from "./jwt-provider.js";

export function tokenSource(deps: { authClient: AuthServiceClient; oidc: OidcClients; providerTokens: ProviderTokenStore }): TokenSource {
  const { authClient, oidc, providerTokens } = deps;
  return async (session) => {
    if (!session.oidc) {
      const refreshToken = tokensOf(session)?.refreshToken;
      if (refreshToken === undefined) throw new RefreshTokenRejected(401);
      return authClient.fetchJwt(session.userIri, refreshToken);
    }
    const current = await providerTokens.current(session);
    if (!current) throw new RefreshTokenRejected(401);
    const now = Date.now();
    if (renewalTime(current.tokens.expiresAt, current.obtainedAt) > now) {
      return { token: current.tokens.accessToken, expiresAt: current.tokens.expiresAt };
    }
    const tokens = await oidc.refresh(session.oidc.provider, current.tokens);
    await providerTokens.save(session, { tokens, obtainedAt: now });
    return { token: tokens.accessToken, expiresAt: tokens.expiresAt };
  };
}
