// The JWT of a signed-in session, as the gateway and forward auth both need it: the provider's cached
// one or its single-flight fetch. A refresh token the auth service refuses ends the session on every
// instance (401 session_expired); a transient auth-service failure keeps it (503), so a blip never
// signs anybody out.
import { RefreshTokenRejected } from "../auth-client/client.js";
import { ApiError, toApiError } from "../http/errors.js";
import type { Logger } from "../ops/logger.js";
import type { ActiveSession } from "../session/record.js";
import type { Sessions } from "../session/sessions.js";
import type { JwtProvider } from "./jwt-provider.js";

/** A JWT for the session, valid for at least the renewal margin. Throws ApiError 401 or 503. */
export type JwtForSession = (session: ActiveSession) => Promise<string>;

export function jwtForSession(deps: { sessions: Sessions; jwtProvider: JwtProvider; logger: Logger }): JwtForSession {
  const { sessions, jwtProvider, logger } = deps;
  return async (session) => {
    try {
      return await jwtProvider.get(session);
    } catch (error) {
      if (error instanceof RefreshTokenRejected) {
        logger.info({ event: "session_expired", userId: session.user.id, status: error.status }, "refresh token refused: session ended");
        await sessions.end(session.sid, session, { revoke: false });
        throw new ApiError(401, "session_expired");
      }
      const apiError = toApiError(error);
      logger.warn({ event: "refresh_failed", userId: session.user.id, code: apiError.code }, "could not get a JWT");
      if (apiError.status === 503) throw apiError;
      throw new ApiError(503, "token_unavailable", { cause: error });
    }
  };
}
