// The one client of the external auth service (API Platform contract, every dialect in
// auth-api-contract.md, and its extensions 5-8: password reset on the forgot-password bundle's
// routes, e-mail verification, password change, passkeys). It speaks JSON-LD, bounds every call by
// AUTH_TIMEOUT_MS, and maps every answer to a value or an ApiError with our codes, so no upstream
// text ever reaches a browser.
import { Pool } from "undici";
import { decodeJwt } from "jose";
import { ApiError } from "../http/errors.js";
import { closeWithin } from "../ops/deadline.js";
import { parseViolations } from "./violations.js";

export interface UserRef {
  id: string;
  /** The user's IRI, relative to the auth service (`/api/users/<uuid>`). */
  iri: string;
}

export interface RefreshTokenGrant {
  token: string;
  /** The refresh token's IRI (`/api/refresh_tokens/<uuid>`), needed to revoke it. */
  iri: string;
  user: UserRef;
  /** Whether the e-mail address is verified, when the answer says (the reference service's `verified`). */
  verified?: boolean;
  /** The user's e-mail address, when the answer names it (the reference service's `email`). */
  email?: string;
}

/** A passkey as the user's list shows it (never its key or credential id). */
export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** WebAuthn options JSON (`PublicKeyCredentialCreationOptionsJSON` or `…RequestOptionsJSON`), relayed as is. */
export type WebAuthnOptions = Record<string, unknown>;

export interface Jwt {
  token: string;
  /** Expiry in epoch milliseconds, from the `exp` claim. */
  expiresAt: number;
  /** The answer's `verified` (or the JWT's `email_verified`), when the auth service reports it. */
  verified?: boolean;
  /** The answer's `email` (or the JWT's), when the auth service reports it. */
  email?: string;
}

/** Where a mailed link goes, and in which language its mail is written (a BCP 47 tag or an Accept-Language value). */
export interface LinkRequest {
  url: string;
  lang?: string | undefined;
}

/** A user found through a link token. */
export interface TokenUser {
  user: UserRef;
  email: string;
}

/** Thrown by fetchJwt when the auth service says the refresh token is no longer good (401/403/404). */
export class RefreshTokenRejected extends Error {
  constructor(readonly status: number) {
    super(`the auth service rejected the refresh token (${status})`);
    this.name = "RefreshTokenRejected";
  }
}

const MAX_RESPONSE_BYTES = 256 * 1024;
/** When a JWT carries no `exp`, cache it this long at most. */
const JWT_FALLBACK_LIFETIME_MS = 60_000;

interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface AuthClientOptions {
  origin: string;
  timeoutMs: number;
}

export class AuthServiceClient {
  readonly origin: string;
  private readonly timeoutMs: number;
  private readonly pool: Pool;

  constructor(options: AuthClientOptions) {
    this.origin = new URL(options.origin).origin;
    this.timeoutMs = options.timeoutMs;
    this.pool = new Pool(this.origin, { connections: 64, keepAliveTimeout: 4_000 });
  }

  /** `POST /api/users`: creates the user (with `verifyUrl`: mails the verification link). 422 validation_failed on violations. */
  async signup(email: string, password: string, verify?: LinkRequest): Promise<UserRef> {
    const body = verify ? { email, password, verifyUrl: verify.url, ...langOf(verify) } : { email, password };
    const response = await this.call("POST", "/api/users", { body, lang: verify?.lang });
    if (response.status === 201 || response.status === 200) {
      const body = response.body as Record<string, unknown> | null;
      const iri = typeof body?.["@id"] === "string" ? body["@id"] : headerValue(response.headers.location);
      if (iri) return this.userRef(iri);
      throw this.unexpected("signup", response.status);
    }
    const violations = response.status === 400 || response.status === 422 ? parseViolations(response.body) : null;
    if (violations) throw new ApiError(422, "validation_failed", { extra: { violations } });
    throw this.failure(response.status, "signup");
  }

  /** `POST /api/refresh_tokens`: logs in. Any 4xx that is not a violation list is invalid_credentials. */
  async createRefreshToken(email: string, password: string): Promise<RefreshTokenGrant> {
    const response = await this.call("POST", "/api/refresh_tokens", { body: { email, password } });
    if (response.status === 201 || response.status === 200) return this.grantOf(response, "login");
    // Only ever said for the right password (extension 6): a wrong one is the ordinary failure below.
    if (response.status === 403 && codeOf(response.body) === "email_not_verified") throw new ApiError(403, "email_not_verified");
    if (response.status >= 400 && response.status < 500) {
      const violations = response.status === 400 || response.status === 422 ? parseViolations(response.body) : null;
      if (violations) throw new ApiError(422, "validation_failed", { extra: { violations } });
      throw new ApiError(401, "invalid_credentials");
    }
    throw this.failure(response.status, "login");
  }

  /**
   * `POST /api/refresh_tokens` `{passkey}` (extension 8): logs in with a WebAuthn assertion. Every 4xx (unknown
   * credential, bad signature, spent or foreign challenge, wrong origin) is one invalid_credentials.
   */
  async createRefreshTokenWithPasskey(assertion: Record<string, unknown>): Promise<RefreshTokenGrant> {
    const response = await this.call("POST", "/api/refresh_tokens", { body: { passkey: assertion } });
    if (response.status === 201 || response.status === 200) return this.grantOf(response, "passkey login");
    if (response.status === 403 && codeOf(response.body) === "email_not_verified") throw new ApiError(403, "email_not_verified");
    if (response.status >= 400 && response.status < 500) throw new ApiError(401, "invalid_credentials");
    throw this.failure(response.status, "passkey login");
  }

  /** `POST /api/passkey_authentication_options`: request options for a discoverable credential. */
  async passkeyAuthenticationOptions(): Promise<WebAuthnOptions> {
    const response = await this.call("POST", "/api/passkey_authentication_options", { body: {} });
    if (response.status === 200 || response.status === 201) return this.optionsOf(response, "passkey options");
    throw this.failure(response.status, "passkey options");
  }

  /** `POST /api/passkey_registration_options` with `REFRESH-TOKEN`: creation options. RefreshTokenRejected on 401/403/404. */
  async passkeyRegistrationOptions(refreshToken: string): Promise<WebAuthnOptions> {
    const response = await this.call("POST", "/api/passkey_registration_options", { refreshToken, body: {} });
    if (response.status === 200 || response.status === 201) return this.optionsOf(response, "passkey registration options");
    this.rejectedToken(response.status);
    throw this.failure(response.status, "passkey registration options");
  }

  /** `POST /api/passkeys` `{credential, name}` with `REFRESH-TOKEN`: 400 passkey_invalid when it does not verify. */
  async registerPasskey(refreshToken: string, credential: Record<string, unknown>, name: string | undefined): Promise<PasskeyInfo> {
    const response = await this.call("POST", "/api/passkeys", {
      refreshToken,
      body: { credential, ...(name !== undefined ? { name } : {}) },
    });
    if (response.status === 201 || response.status === 200) {
      const passkey = passkeyInfo(response.body);
      if (passkey) return passkey;
      throw this.unexpected("passkey", response.status);
    }
    if (response.status === 400 || response.status === 422) throw new ApiError(400, "passkey_invalid");
    this.rejectedToken(response.status);
    throw this.failure(response.status, "passkey registration");
  }

  /** `GET /api/passkeys` with `REFRESH-TOKEN`: the caller's passkeys (`member` or `hydra:member`). */
  async listPasskeys(refreshToken: string): Promise<PasskeyInfo[]> {
    const response = await this.call("GET", "/api/passkeys", { refreshToken });
    if (response.status === 200) {
      const body = response.body as Record<string, unknown> | null;
      const members = body?.member ?? body?.["hydra:member"] ?? (Array.isArray(body) ? body : undefined);
      if (Array.isArray(members)) {
        const passkeys = members.map(passkeyInfo);
        if (passkeys.every((one): one is PasskeyInfo => one !== undefined)) return passkeys;
      }
      throw this.unexpected("passkey list", response.status);
    }
    this.rejectedToken(response.status);
    throw this.failure(response.status, "passkey list");
  }

  /** `DELETE /api/passkeys/<id>` with `REFRESH-TOKEN`: 404 not_found when it is not the caller's. */
  async deletePasskey(refreshToken: string, id: string): Promise<void> {
    const response = await this.call("DELETE", `/api/passkeys/${encodeURIComponent(id)}`, { refreshToken });
    if (response.status === 204 || response.status === 200) return;
    if (response.status === 404) throw new ApiError(404, "not_found");
    this.rejectedToken(response.status);
    throw this.failure(response.status, "passkey removal");
  }

  /** `GET /api/users/<id>` with `REFRESH-TOKEN`: a fresh JWT. Throws RefreshTokenRejected on 401/403/404. */
  async fetchJwt(userIri: string, refreshToken: string): Promise<Jwt> {
    const response = await this.call("GET", this.sameOriginPath(userIri), { refreshToken });
    if (response.status === 200) {
      const body = response.body as Record<string, unknown> | null;
      const token = body?.jwttoken;
      if (typeof token !== "string" || !token) throw this.unexpected("jwt", response.status);
      let claims: ReturnType<typeof decodeJwt>;
      try {
        claims = decodeJwt(token);
      } catch {
        throw this.unexpected("jwt", response.status);
      }
      const exp = claims.exp;
      const jwt: Jwt = { token, expiresAt: typeof exp === "number" ? exp * 1000 : Date.now() + JWT_FALLBACK_LIFETIME_MS };
      const verified = typeof body?.verified === "boolean" ? body.verified : claims.email_verified;
      if (typeof verified === "boolean") jwt.verified = verified;
      const email = typeof body?.email === "string" ? body.email : claims.email;
      if (typeof email === "string" && email !== "") jwt.email = email;
      return jwt;
    }
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      throw new RefreshTokenRejected(response.status);
    }
    throw this.failure(response.status, "jwt");
  }

  /** `DELETE /api/refresh_tokens/<id>`: revokes the refresh token. 404 (already gone) counts as done. */
  async revokeRefreshToken(tokenIri: string, refreshToken: string): Promise<void> {
    const response = await this.call("DELETE", this.sameOriginPath(tokenIri), { refreshToken });
    if (response.status < 300 || response.status === 404 || response.status === 401 || response.status === 403) return;
    throw this.failure(response.status, "logout");
  }

  /** `POST /forgot-password/` `{email, resetUrl}`: the service mails a reset link when the account exists. */
  async requestPasswordReset(email: string, link: LinkRequest): Promise<void> {
    const response = await this.call("POST", "/forgot-password/", {
      body: { email, resetUrl: link.url, ...langOf(link) },
      lang: link.lang,
    });
    if (response.status >= 300) throw this.failure(response.status, "password reset request");
  }

  /** `GET /forgot-password/<token>`: whose token it is. 400 reset_token_invalid when unknown, spent or expired. */
  async inspectResetToken(token: string): Promise<TokenUser> {
    const response = await this.call("GET", `/forgot-password/${encodeURIComponent(token)}`);
    if (response.status === 200) {
      const user = (response.body as { user?: unknown } | null)?.user as Record<string, unknown> | string | undefined;
      const iri = typeof user === "string" ? user : user?.["@id"];
      const email = typeof user === "object" ? user.email : undefined;
      if (typeof iri === "string" && typeof email === "string") return { user: this.userRef(iri), email };
      throw this.unexpected("password token", response.status);
    }
    if (response.status === 404 || response.status === 400 || response.status === 410) throw new ApiError(400, "reset_token_invalid");
    throw this.failure(response.status, "password token");
  }

  /** `POST /forgot-password/<token>` `{password}`: sets the new password. 400 reset_token_invalid, 422 validation_failed. */
  async resetPassword(token: string, password: string): Promise<void> {
    const response = await this.call("POST", `/forgot-password/${encodeURIComponent(token)}`, { body: { password } });
    if (response.status >= 200 && response.status < 300) return;
    const violations = response.status === 400 || response.status === 422 ? parseViolations(response.body) : null;
    if (violations) throw new ApiError(422, "validation_failed", { extra: { violations } });
    if (response.status === 404 || response.status === 400 || response.status === 410) throw new ApiError(400, "reset_token_invalid");
    throw this.failure(response.status, "password reset");
  }

  /** `POST /api/email_verifications` `{token}`: marks the address verified. 400 verification_token_invalid. */
  async verifyEmail(token: string): Promise<TokenUser> {
    const response = await this.call("POST", "/api/email_verifications", { body: { token } });
    if (response.status === 200 || response.status === 201) {
      const body = response.body as Record<string, unknown> | null;
      const iri = body?.["@id"];
      if (typeof iri === "string" && typeof body?.email === "string") return { user: this.userRef(iri), email: body.email };
      throw this.unexpected("email verification", response.status);
    }
    if (response.status === 404 || response.status === 400 || response.status === 410)
      throw new ApiError(400, "verification_token_invalid");
    throw this.failure(response.status, "email verification");
  }

  /** `POST /api/email_verification_requests` `{email, verifyUrl}`: the service mails a new link to an unverified account. */
  async requestVerificationMail(email: string, link: LinkRequest): Promise<void> {
    const response = await this.call("POST", "/api/email_verification_requests", {
      body: { email, verifyUrl: link.url, ...langOf(link) },
      lang: link.lang,
    });
    if (response.status >= 300) throw this.failure(response.status, "verification request");
  }

  /**
   * `PATCH /api/users/<id>` (merge-patch) with `REFRESH-TOKEN`: changes the password. 403 invalid_credentials for a
   * wrong current password; RefreshTokenRejected when the refresh token is no longer good; 422 validation_failed
   * (a violation of `password` is reported on `newPassword`, the field the browser sent).
   */
  async changePassword(
    userIri: string,
    refreshToken: string,
    change: { currentPassword: string; newPassword: string; keepOtherTokens: boolean },
  ): Promise<void> {
    const response = await this.call("PATCH", this.sameOriginPath(userIri), {
      refreshToken,
      contentType: "application/merge-patch+json",
      body: { currentPassword: change.currentPassword, password: change.newPassword, keepOtherTokens: change.keepOtherTokens },
    });
    if (response.status === 200 || response.status === 204) return;
    if (response.status === 403 && codeOf(response.body) === "invalid_current_password") throw new ApiError(403, "invalid_credentials");
    const violations = response.status === 400 || response.status === 422 ? parseViolations(response.body) : null;
    if (violations) {
      const renamed = violations.map((v) => (v.field === "password" ? { ...v, field: "newPassword" } : v));
      throw new ApiError(422, "validation_failed", { extra: { violations: renamed } });
    }
    if (response.status === 401 || response.status === 403 || response.status === 404) throw new RefreshTokenRejected(response.status);
    throw this.failure(response.status, "password change");
  }

  /** Any HTTP answer means the auth service is reachable. */
  async ping(): Promise<void> {
    await this.call("GET", "/.well-known/jwks.json", { timeoutMs: Math.min(this.timeoutMs, 2_000) });
  }

  /** Closes the connection pool; calls still in flight past `deadlineMs` are cut (the pool is destroyed). */
  async close(deadlineMs = 1_000): Promise<void> {
    await closeWithin(
      () => this.pool.close(),
      () => void this.pool.destroy(),
      deadlineMs,
    );
  }

  /** The refresh-token answer of a login (password or passkey) as a grant. */
  private grantOf(response: UpstreamResponse, operation: string): RefreshTokenGrant {
    const body = response.body as Record<string, unknown> | null;
    const token = body?.token;
    const user = body?.user;
    const iri = body?.["@id"];
    const userIri =
      typeof user === "string"
        ? user
        : typeof (user as { "@id"?: unknown } | null)?.["@id"] === "string"
          ? (user as { "@id": string })["@id"]
          : undefined;
    if (typeof token === "string" && token.length > 0 && typeof iri === "string" && userIri) {
      const grant: RefreshTokenGrant = { token, iri: this.sameOriginPath(iri), user: this.userRef(userIri) };
      if (typeof body?.verified === "boolean") grant.verified = body.verified;
      const email = body?.email ?? (user as { email?: unknown } | null)?.email;
      if (typeof email === "string" && email !== "") grant.email = email;
      return grant;
    }
    throw this.unexpected(operation, response.status);
  }

  /** WebAuthn options from an answer: a JSON object with a challenge, without JSON-LD's own keys. */
  private optionsOf(response: UpstreamResponse, operation: string): WebAuthnOptions {
    const body = response.body;
    if (!body || typeof body !== "object" || Array.isArray(body) || typeof (body as { challenge?: unknown }).challenge !== "string") {
      throw this.unexpected(operation, response.status);
    }
    return Object.fromEntries(Object.entries(body).filter(([key]) => !key.startsWith("@")));
  }

  /** A refresh token the auth service no longer takes (401/403/404) ends the session: RefreshTokenRejected. */
  private rejectedToken(status: number): void {
    if (status === 401 || status === 403 || status === 404) throw new RefreshTokenRejected(status);
  }

  private userRef(iri: string): UserRef {
    const path = this.sameOriginPath(iri);
    const id = decodeURIComponent(path.split("/").filter(Boolean).pop() ?? "");
    if (!id) throw this.unexpected("user id", 200);
    return { id, iri: path };
  }

  /**
   * The path of an IRI. IRIs are relative in the contract; an absolute one (some deployments name
   * themselves by another host) is reduced to its path too, and every call still goes to the
   * configured AUTH_SERVICE origin only, so an IRI can never send us elsewhere.
   */
  private sameOriginPath(iri: string): string {
    try {
      return new URL(iri, this.origin).pathname;
    } catch {
      throw this.unexpected("iri", 200);
    }
  }

  private async call(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    options: { body?: unknown; refreshToken?: string; timeoutMs?: number; contentType?: string; lang?: string | undefined } = {},
  ): Promise<UpstreamResponse> {
    const headers: Record<string, string> = { accept: "application/ld+json" };
    if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/ld+json";
    if (options.refreshToken !== undefined) headers["refresh-token"] = options.refreshToken;
    if (options.lang !== undefined) headers["accept-language"] = options.lang;
    const signal = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    try {
      const response = await this.pool.request({
        method,
        path,
        headers,
        body: options.body === undefined ? null : JSON.stringify(options.body),
        signal,
      });
      const text = await readLimited(response.body, signal);
      let body: unknown = null;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = null; // a non-JSON answer is judged by its status alone
        }
      }
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (signal.aborted) throw new ApiError(504, "auth_timeout", { cause: error });
      throw new ApiError(502, "auth_unavailable", { cause: error });
    }
  }

  private failure(status: number, operation: string): ApiError {
    return new ApiError(502, "auth_unavailable", { cause: new Error(`auth service answered ${status} to ${operation}`) });
  }

  private unexpected(what: string, status: number): ApiError {
    return new ApiError(502, "auth_unavailable", { cause: new Error(`unexpected ${what} in auth service answer (${status})`) });
  }
}

/** The top-level `code` of an error body (hydra or problem+json), which the extensions use. */
function codeOf(body: unknown): unknown {
  return body && typeof body === "object" ? (body as { code?: unknown }).code : undefined;
}

/** A passkey resource (extension 8) as the list shows it, or undefined when it is not one. */
function passkeyInfo(value: unknown): PasskeyInfo | undefined {
  if (!value || typeof value !== "object") return undefined;
  const { id, name, createdAt, lastUsedAt } = value as Record<string, unknown>;
  if (typeof id !== "string" || typeof name !== "string" || typeof createdAt !== "string") return undefined;
  if (lastUsedAt !== null && lastUsedAt !== undefined && typeof lastUsedAt !== "string") return undefined;
  return { id, name, createdAt, lastUsedAt: lastUsedAt ?? null };
}

function langOf(link: LinkRequest): { lang?: string } {
  return link.lang !== undefined ? { lang: link.lang } : {};
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new ApiError(502, "auth_unavailable", { cause: new Error("auth service answer too large") });
    }
    chunks.push(chunk);
    if (signal.aborted) break;
  }
  return Buffer.concat(chunks).toString("utf8");
}
