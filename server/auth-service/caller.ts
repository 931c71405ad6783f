// Who is calling: the REFRESH-TOKEN header, checked against the user named in the path. A refresh token is the only
// credential after login, so it is looked up by hash (the hash of a 512-bit secret: its index timing reveals nothing
// usable) and compared in constant time before anything user-specific is revealed.
import type { IncomingMessage } from "node:http";
import { hashRefreshToken, refreshTokenHashesEqual } from "./refresh-token.js";
import { ReplyError, hydraError, messageError } from "./responses.js";
import type { AuthStore, RefreshTokenRow, UserRow } from "./store.js";

const REFRESH_TOKEN_FORMAT = /^[0-9a-f]{128}$/;
export const INVALID_REFRESH_TOKEN = "Invalid refresh token.";

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The REFRESH-TOKEN header, or a ReplyError: 401 when absent. */
export function refreshTokenHeader(req: IncomingMessage): string {
  const value = req.headers["refresh-token"];
  const token = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!token) throw new ReplyError(messageError(401, "Authentication Required"));
  return token;
}

/** The live refresh token presented in REFRESH-TOKEN; a ReplyError 401 when absent, 403 when unknown or expired. */
function presentedToken(store: AuthStore, req: IncomingMessage): RefreshTokenRow {
  const token = refreshTokenHeader(req);
  const hash = hashRefreshToken(token);
  const row = REFRESH_TOKEN_FORMAT.test(token) ? store.findRefreshTokenByHash(hash) : undefined;
  if (!row || !refreshTokenHashesEqual(row.token_hash, hash) || row.expires_at <= nowSeconds()) {
    throw new ReplyError(messageError(403, INVALID_REFRESH_TOKEN));
  }
  return row;
}

/** The user `userId` and the refresh token presenting for them; 401, 403 or 404 as the contract says otherwise. */
export function authenticatedCaller(store: AuthStore, req: IncomingMessage, userId: string): { user: UserRow; token: RefreshTokenRow } {
  const row = presentedToken(store, req);
  const user = store.findUserById(userId);
  if (!user) throw new ReplyError(hydraError(404, "Not Found"));
  if (row.user_id !== user.id) throw new ReplyError(messageError(403, INVALID_REFRESH_TOKEN));
  return { user, token: row };
}

/** The owner of the refresh token presented, for routes that name no user (a user's passkeys); 401 or 403 otherwise. */
export function tokenOwner(store: AuthStore, req: IncomingMessage): UserRow {
  const row = presentedToken(store, req);
  const user = store.findUserById(row.user_id);
  if (!user) throw new ReplyError(messageError(403, INVALID_REFRESH_TOKEN));
  return user;
}
