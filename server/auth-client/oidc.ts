// The client of the OpenID Connect providers of OIDC_PROVIDERS: the session server as a confidential
// client (openid-client 6), every provider answer mapped to a value or a stable error, so no provider
// text ever reaches a browser. The routes (routes/oidc.ts) and the gateway's token source use this,
// and nothing else talks to a provider.
//
// Threat model and stance:
// - Authorization code with PKCE (S256), `state` and `nonce`; the code is exchanged with the client
//   secret over the back channel. The ID token is validated by openid-client: issuer, audience,
//   expiry, `iat`, nonce, and (enableNonRepudiationChecks) its signature by the provider's JWKS, so a
//   token the provider did not sign is refused even when the transport is not what it should be.
// - RFC 9207 `iss` in the authorization response is checked when the provider announces it (mix-up).
// - Back-channel logout tokens (OIDC Back-Channel Logout 1.0) are verified here: signature by the
//   provider's JWKS (asymmetric algorithms only), `iss`, `aud`, `iat`, `exp`, `jti`, the back-channel
//   event, no `nonce`, and a `sub` or a `sid`.
// - A provider that does not answer at start is logged and discovered again with backoff; until then
//   its routes answer `oidc_unavailable` and nothing else is affected.
// - Every call is bounded by AUTH_TIMEOUT_MS; no token, code or provider message is logged or
//   returned: errors carry our codes and the library's fixed error codes only.
import * as client from "openid-client";
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { OidcProviderConfig } from "../config.js";
import { ApiError } from "../http/errors.js";
import type { Logger } from "../ops/logger.js";
import type { ProviderTokens } from "../session/record.js";
import { RefreshTokenRejected } from "./client.js";

/** First retry of a failed discovery after this, doubling up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** When a provider gives no `expires_in`, treat its access token as good for this long. */
const ACCESS_TOKEN_FALLBACK_LIFETIME_MS = 60_000;
/** A logout token older than this (by `iat`) is refused whatever its `exp`. */
const LOGOUT_TOKEN_MAX_AGE_S = 600;
const CLOCK_TOLERANCE_S = 30;
const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";
const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** Why a sign-in failed: `oidc_denied` (the user cancelled or the provider refused) or `oidc_failed`. */
export class OidcSignInError extends Error {
  constructor(
    readonly code: "oidc_denied" | "oidc_failed",
    /** A fixed, loggable reason: our own word, or the library's or the provider's error code. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`OIDC sign-in failed: ${reason}`, options);
    this.name = "OidcSignInError";
  }
}

/** A logout token that is not valid; `reason` is a fixed, loggable word. */
export class LogoutTokenInvalid extends Error {
  constructor(readonly reason: string) {
    super(`invalid logout token: ${reason}`);
    this.name = "LogoutTokenInvalid";
  }
}

export interface ProviderSignIn {
  sub: string;
  sid: string | undefined;
  email: string;
  tokens: ProviderTokens;
}

/** What a valid logout token names. */
export interface LogoutRequest {
  provider: string;
  jti: string;
  /** Epoch ms of the token's `exp`. */
  expiresAt: number;
  sub: string | undefined;
  sid: string | undefined;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

interface Provider {
  config: OidcProviderConfig;
  configuration?: client.Configuration;
  jwks?: ReturnType<typeof createRemoteJWKSet>;
  attempts: number;
  retry?: NodeJS.Timeout;
}

export interface OidcClientOptions {
  logger: Logger;
  /** AUTH_TIMEOUT_MS: the bound of every call to a provider. */
  timeoutMs: number;
}

export class OidcClients {
  private readonly providers = new Map<string, Provider>();
  private closed = false;
  /** Refresh requests made to providers (for tests and benchmarks). */
  refreshes = 0;

  constructor(
    configs: readonly OidcProviderConfig[],
    private readonly options: OidcClientOptions,
  ) {
    for (const config of configs) this.providers.set(config.id, { config, attempts: 0 });
  }

  /** Discovers every provider once (a provider that fails is retried in the background). */
  async start(): Promise<void> {
    await Promise.all([...this.providers.values()].map((provider) => this.discover(provider)));
  }

  /** Stops the retries. */
  close(): void {
    this.closed = true;
    for (const provider of this.providers.values()) clearTimeout(provider.retry);
  }

  /** Whether `id` is a configured provider (discovered or not). */
  has(id: string): boolean {
    return this.providers.has(id);
  }

  /** Whether `id`'s discovery has succeeded. */
  ready(id: string): boolean {
    return this.providers.get(id)?.configuration !== undefined;
  }

  /** The provider's authorization endpoint with our request. Throws 503 oidc_unavailable before discovery. */
  async authorizationUrl(id: string, request: AuthorizationRequest): Promise<URL> {
    const { config, configuration } = this.discovered(id);
    return client.buildAuthorizationUrl(configuration, {
      ...config.authParams,
      redirect_uri: request.redirectUri,
      response_type: "code",
      scope: config.scopes.join(" "),
      state: request.state,
      nonce: request.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: "S256",
    });
  }

  /**
   * Completes a sign-in from the provider's answer at our callback (`callbackQuery`: its query
   * string): checks it, exchanges the code (PKCE), validates the ID token and finds the e-mail.
   * Throws OidcSignInError.
   */
  async signIn(id: string, callbackQuery: URLSearchParams, request: AuthorizationRequest): Promise<ProviderSignIn> {
    const provider = this.providers.get(id);
    const configuration = provider?.configuration;
    if (!configuration) throw new OidcSignInError("oidc_failed", "provider_unavailable");
    const currentUrl = new URL(request.redirectUri);
    currentUrl.search = callbackQuery.toString();
    let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
    try {
      tokens = await client.authorizationCodeGrant(
        configuration,
        currentUrl,
        { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true },
        { redirect_uri: request.redirectUri },
      );
    } catch (error) {
      if (error instanceof client.AuthorizationResponseError) {
        const denied = ["access_denied", "login_required", "consent_required", "interaction_required"].includes(error.error);
        throw new OidcSignInError(denied ? "oidc_denied" : "oidc_failed", safeCode(error.error), { cause: error });
      }
      throw new OidcSignInError("oidc_failed", failureReason(error), { cause: error });
    }
    const claims = tokens.claims();
    if (!claims || typeof claims.sub !== "string" || !claims.sub) throw new OidcSignInError("oidc_failed", "no_id_token");
    if (typeof tokens.id_token !== "string") throw new OidcSignInError("oidc_failed", "no_id_token");
    let email = typeof claims.email === "string" ? claims.email : undefined;
    if (!email) {
      try {
        const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        if (typeof userinfo.email === "string") email = userinfo.email;
      } catch (error) {
        throw new OidcSignInError("oidc_failed", `userinfo_${failureReason(error)}`, { cause: error });
      }
    }
    if (!email || email.length > 320) throw new OidcSignInError("oidc_failed", "no_email");
    return {
      sub: claims.sub,
      sid: typeof claims.sid === "string" && claims.sid ? claims.sid : undefined,
      email,
      tokens: {
        accessToken: tokens.access_token,
        expiresAt: expiryOf(tokens),
        refreshToken: tokens.refresh_token,
        idToken: tokens.id_token,
      },
    };
  }

  /**
   * New tokens for a refresh token (rotation honoured: a new refresh token replaces the old one;
   * without one, the old one stays). Throws RefreshTokenRejected when the provider refuses the
   * grant (`invalid_grant`: revoked, expired, reused), ApiError 502/503/504 on anything transient.
   */
  async refresh(id: string, current: ProviderTokens): Promise<ProviderTokens> {
    // No refresh token (the provider gave none), or a provider no longer configured: the grant is gone.
    if (current.refreshToken === undefined || !this.providers.has(id)) throw new RefreshTokenRejected(400);
    const configuration = this.providers.get(id)?.configuration;
    if (!configuration) throw new ApiError(503, "token_unavailable", { message: "The sign-in provider is not reachable yet." });
    let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
    this.refreshes++;
    try {
      tokens = await client.refreshTokenGrant(configuration, current.refreshToken);
    } catch (error) {
      if (error instanceof client.ResponseBodyError && error.error === "invalid_grant") throw new RefreshTokenRejected(error.status);
      throw transient(error, "refresh");
    }
    return {
      accessToken: tokens.access_token,
      expiresAt: expiryOf(tokens),
      refreshToken: tokens.refresh_token ?? current.refreshToken,
      idToken: typeof tokens.id_token === "string" ? tokens.id_token : current.idToken,
    };
  }

  /** Revokes a refresh token where the provider offers revocation (RFC 7009); otherwise nothing. */
  async revoke(id: string, refreshToken: string): Promise<void> {
    const configuration = this.providers.get(id)?.configuration;
    if (!configuration?.serverMetadata().revocation_endpoint) return;
    try {
      await client.tokenRevocation(configuration, refreshToken, { token_type_hint: "refresh_token" });
    } catch (error) {
      throw transient(error, "revocation");
    }
  }

  /** Whether the provider has been discovered and offers RP-initiated logout. */
  offersEndSession(id: string): boolean {
    return this.providers.get(id)?.configuration?.serverMetadata().end_session_endpoint !== undefined;
  }

  /** The provider's end-session URL with `id_token_hint`, or undefined when it offers none. */
  endSessionUrl(id: string, idToken: string, postLogoutRedirectUri: string): URL | undefined {
    const provider = this.providers.get(id);
    const configuration = provider?.configuration;
    if (!configuration?.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(configuration, {
      id_token_hint: idToken,
      client_id: provider!.config.clientId,
      post_logout_redirect_uri: postLogoutRedirectUri,
    });
  }

  /** Validates a back-channel logout token; throws LogoutTokenInvalid. */
  async verifyLogoutToken(token: string): Promise<LogoutRequest> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new LogoutTokenInvalid("malformed");
    }
    const provider = [...this.providers.values()].find((candidate) => candidate.configuration?.serverMetadata().issuer === unverified.iss);
    if (!provider?.configuration || !provider.jwks) throw new LogoutTokenInvalid("unknown_issuer");
    let claims: JWTPayload;
    let typ: string | undefined;
    try {
      const verified = await jwtVerify(token, provider.jwks, {
        issuer: provider.configuration.serverMetadata().issuer,
        audience: provider.config.clientId,
        algorithms: ASYMMETRIC_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE_S,
        requiredClaims: ["iat", "exp", "jti"],
      });
      claims = verified.payload;
      typ = verified.protectedHeader.typ;
    } catch (error) {
      throw new LogoutTokenInvalid(joseReason(error));
    }
    // An ID token (or any other JWT of the provider's) must not pass for a logout token.
    if (typ !== undefined && !["logout+jwt", "application/logout+jwt", "jwt"].includes(typ.toLowerCase())) {
      throw new LogoutTokenInvalid("typ");
    }
    const events = claims.events as Record<string, unknown> | undefined;
    const event = events && typeof events === "object" ? events[BACKCHANNEL_EVENT] : undefined;
    if (!event || typeof event !== "object" || Array.isArray(event)) throw new LogoutTokenInvalid("events");
    if ("nonce" in claims) throw new LogoutTokenInvalid("nonce");
    const sub = typeof claims.sub === "string" && claims.sub ? claims.sub : undefined;
    const sid = typeof claims.sid === "string" && claims.sid ? claims.sid : undefined;
    if ((claims.sub !== undefined && !sub) || (claims.sid !== undefined && !sid) || (!sub && !sid)) throw new LogoutTokenInvalid("sub_sid");
    if (typeof claims.jti !== "string" || !claims.jti) throw new LogoutTokenInvalid("jti");
    return { provider: provider.config.id, jti: claims.jti, expiresAt: claims.exp! * 1000, sub, sid };
  }

  private discovered(id: string): { config: OidcProviderConfig; configuration: client.Configuration } {
    const provider = this.providers.get(id);
    if (!provider) throw new ApiError(404, "not_found");
    if (!provider.configuration) throw new ApiError(503, "oidc_unavailable");
    return { config: provider.config, configuration: provider.configuration };
  }

  private async discover(provider: Provider): Promise<void> {
    const { config } = provider;
    const { logger, timeoutMs } = this.options;
    const issuer = new URL(config.issuer);
    const execute = [client.enableNonRepudiationChecks, ...(issuer.protocol === "http:" ? [client.allowInsecureRequests] : [])];
    const timeout = Math.max(1, Math.ceil(timeoutMs / 1000));
    try {
      let configuration = await client.discovery(issuer, config.clientId, { client_secret: config.clientSecret }, undefined, {
        execute,
        timeout,
      });
      const metadata = configuration.serverMetadata();
      // client_secret_post unless the provider only takes client_secret_basic.
      const methods = metadata.token_endpoint_auth_methods_supported;
      if (methods && !methods.includes("client_secret_post") && methods.includes("client_secret_basic")) {
        configuration = new client.Configuration(metadata, config.clientId, config.clientSecret, client.ClientSecretBasic());
        for (const apply of execute) apply(configuration);
        configuration.timeout = timeout;
      }
      if (!metadata.jwks_uri) throw new Error("the provider publishes no jwks_uri");
      provider.jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: timeoutMs, cooldownDuration: 30_000 });
      provider.configuration = configuration;
      logger.info({ event: "oidc_discovery_ok", provider: config.id, attempts: provider.attempts + 1 }, "OIDC provider discovered");
    } catch (error) {
      provider.attempts += 1;
      const retryInMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (provider.attempts - 1));
      logger.warn(
        { event: "oidc_discovery_failed", provider: config.id, attempts: provider.attempts, retryInMs, reason: failureReason(error) },
        "OIDC provider discovery failed: retrying",
      );
      if (this.closed) return;
      provider.retry = setTimeout(() => void this.discover(provider), retryInMs);
      provider.retry.unref();
    }
  }
}

function expiryOf(tokens: client.TokenEndpointResponseHelpers): number {
  const seconds = tokens.expiresIn();
  return Date.now() + (seconds === undefined ? ACCESS_TOKEN_FALLBACK_LIFETIME_MS : seconds * 1000);
}

/** A provider's error code, kept to the characters OAuth allows for one, never free text. */
function safeCode(code: string): string {
  return /^[\w.-]{1,64}$/.test(code) ? code : "error";
}

function isTimeout(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const name = (current as { name?: unknown }).name;
    if (name === "TimeoutError" || name === "AbortError") return true;
  }
  return false;
}

/** A loggable word for a failure: the provider's OAuth error code, the library's code, or a kind. */
function failureReason(error: unknown): string {
  if (error instanceof client.ResponseBodyError) return safeCode(error.error);
  if (isTimeout(error)) return "timeout";
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return safeCode(code);
  if (error instanceof TypeError) return "unreachable";
  return "error";
}

function transient(error: unknown, operation: string): ApiError {
  const cause = new Error(`OIDC provider ${operation} failed: ${failureReason(error)}`);
  return isTimeout(error) ? new ApiError(504, "auth_timeout", { cause }) : new ApiError(502, "auth_unavailable", { cause });
}

function joseReason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim_${safeCode(error.claim)}`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "signature";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "algorithm";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "unknown_key";
  if (error instanceof joseErrors.JOSEError) return safeCode(error.code);
  return "unverifiable";
}
