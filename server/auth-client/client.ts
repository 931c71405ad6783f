// The one client of the external auth service (API Platform contract, every dialect in
// auth-api-contract.md). It speaks JSON-LD, bounds every call by AUTH_TIMEOUT_MS, and maps every
// answer to a value or an ApiError with our codes, so no upstream text ever reaches a browser.
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
}

export interface Jwt {
  token: string;
  /** Expiry in epoch milliseconds, from the `exp` claim. */
  expiresAt: number;
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

  /** `POST /api/users`: creates the user. 422 validation_failed on violations. */
  async signup(email: string, password: string): Promise<UserRef> {
    const response = await this.call("POST", "/api/users", { body: { email, password } });
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
    if (response.status === 201 || response.status === 200) {
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
        return { token, iri: this.sameOriginPath(iri), user: this.userRef(userIri) };
      }
      throw this.unexpected("login", response.status);
    }
    if (response.status >= 400 && response.status < 500) {
      const violations = response.status === 400 || response.status === 422 ? parseViolations(response.body) : null;
      if (violations) throw new ApiError(422, "validation_failed", { extra: { violations } });
      throw new ApiError(401, "invalid_credentials");
    }
    throw this.failure(response.status, "login");
  }

  /** `GET /api/users/<id>` with `REFRESH-TOKEN`: a fresh JWT. Throws RefreshTokenRejected on 401/403/404. */
  async fetchJwt(userIri: string, refreshToken: string): Promise<Jwt> {
    const response = await this.call("GET", this.sameOriginPath(userIri), { refreshToken });
    if (response.status === 200) {
      const token = (response.body as Record<string, unknown> | null)?.jwttoken;
      if (typeof token !== "string" || !token) throw this.unexpected("jwt", response.status);
      let exp: number | undefined;
      try {
        exp = decodeJwt(token).exp;
      } catch {
        throw this.unexpected("jwt", response.status);
      }
      return { token, expiresAt: typeof exp === "number" ? exp * 1000 : Date.now() + JWT_FALLBACK_LIFETIME_MS };
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
    method: "GET" | "POST" | "DELETE",
    path: string,
    options: { body?: unknown; refreshToken?: string; timeoutMs?: number } = {},
  ): Promise<UpstreamResponse> {
    const headers: Record<string, string> = { accept: "application/ld+json" };
    if (options.body !== undefined) headers["content-type"] = "application/ld+json";
    if (options.refreshToken !== undefined) headers["refresh-token"] = options.refreshToken;
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
