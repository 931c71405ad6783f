// The browser's one HTTP client of the session server: cookies included, `X-CSRF: 1` on every
// method but GET (it only sends GET and POST), JSON bodies, and every failure turned into an
// AuthError with the server's stable code.
import type { AuthError, Violation } from "./auth-elements.js";

/** An Error carrying the server's `{error, message, violations?, retryAfter?}` and the status. */
function authError(code: string, message: string, status: number, extra?: Partial<AuthError>): AuthError {
  return Object.assign(new Error(message), { name: "AuthError", code, status }, extra);
}

/** The code to assume when a failure carries no `{error}` body (a proxy's HTML page, say). */
function codeForStatus(status: number): string {
  if (status === 429) return "rate_limited";
  if (status === 504) return "auth_timeout";
  if (status === 502 || status === 503) return "auth_unavailable";
  if (status === 401) return "unauthenticated";
  return "unknown_error";
}

/**
 * Calls `<endpoint><path>` and returns the parsed JSON body (undefined for 204).
 * Throws AuthError: the server's `{error, message, violations?, retryAfter?}`, or `network_error`.
 */
export async function request<T>(endpoint: string, path: string, method = "GET", body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF"] = "1"; // the server's CSRF check for unsafe methods
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(endpoint + path, {
      method,
      headers,
      credentials: "include",
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw authError("network_error", (error as Error).message || "Network error", 0);
  }
  const data = await response.json().catch(() => undefined);
  if (response.ok) return data as T;
  const retryHeader = Number(response.headers.get("Retry-After"));
  const retryAfter = Number(data?.retryAfter ?? (retryHeader || undefined));
  throw authError(
    typeof data?.error === "string" ? data.error : codeForStatus(response.status),
    typeof data?.message === "string" ? data.message : response.statusText,
    response.status,
    {
      ...(Array.isArray(data?.violations) && { violations: data.violations as Violation[] }),
      ...(retryAfter >= 0 && { retryAfter }),
    },
  );
}
