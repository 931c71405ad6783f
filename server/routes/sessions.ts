// A user's sessions: `POST /auth/sessions/revoke-all` (log out everywhere), through the per-user
// index of sessions kept in the shared store.
import express from "express";
import { ApiError } from "../http/errors.js";
import type { RouteDeps } from "./auth-router.js";
import { csrfGuard, methodNotAllowed } from "./guards.js";

export function sessionsRoutes(deps: RouteDeps): express.Router {
  const { logger, sessions, originPolicy, body } = deps;
  const router = express.Router();
  const csrf = csrfGuard(originPolicy);

  /** Log out everywhere: every session of the current user, found through the per-user index. */
  router.post("/sessions/revoke-all", csrf, ...body, async (req, res) => {
    const current = await sessions.load(req);
    if (!current) throw new ApiError(401, "unauthenticated");
    const sids = new Set([...(await sessions.sessionIdsOf(current.user.id)), current.sid]);
    // In parallel: a slow auth service then costs one AUTH_TIMEOUT_MS, not one per session.
    const endedEach = await Promise.all(
      [...sids].map(async (sid) => {
        const record = await sessions.read(sid);
        if (record && record.user.id !== current.user.id) return false; // never touch another user's session
        await sessions.end(sid, record);
        return record !== null;
      }),
    );
    const ended = endedEach.filter(Boolean).length;
    await sessions.forgetUser(current.user.id);
    logger.info({ event: "logout_everywhere", userId: current.user.id, sessions: ended }, "logged out everywhere");
    sessions.clearCookie(res);
    res.status(200).json({ revoked: ended });
  });
  router.all("/sessions/revoke-all", methodNotAllowed("POST"));

  return router;
}
