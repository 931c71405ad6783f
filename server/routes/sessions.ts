// A user's sessions: `GET /auth/sessions` (the list, this one marked), `DELETE /auth/sessions/<id>` (end one, on every
// instance; the current one is a logout) and `POST /auth/sessions/revoke-all` (log out everywhere, or everywhere else
// with `keepCurrent`), all through the per-user index in the shared store (session/sessions.ts).
// Threat model: the ids shown are public ids (an HMAC of the store key), revealing nothing of a cookie or store key;
// an id that is not one of the caller's own sessions, another user's included, gets the same 404 as an unknown one.
import express from "express";
import { ApiError } from "../http/errors.js";
import type { ActiveSession } from "../session/record.js";
import type { RouteDeps } from "./auth-router.js";
import { csrfGuard, methodNotAllowed, signedIn } from "./guards.js";

const PUBLIC_ID = /^[A-Za-z0-9_-]{22}$/;

export function sessionsRoutes(deps: RouteDeps): express.Router {
  const { logger, sessions, originPolicy, body } = deps;
  const router = express.Router();
  const csrf = csrfGuard(originPolicy);
  const signed = signedIn(sessions);

  router.get("/sessions", signed, async (_req, res) => {
    const current = res.locals.session as ActiveSession;
    const now = Date.now();
    const list = (await sessions.sessionsOf(current.user.id)).map((one) => ({
      id: one.publicId,
      current: one.sid === current.sid,
      createdAt: new Date(one.record.createdAt).toISOString(),
      lastSeenAt: new Date(one.sid === current.sid ? now : one.lastSeenAt).toISOString(),
      userAgent: one.record.userAgent ?? "Unknown browser",
    }));
    list.sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
    res.status(200).json({ sessions: list });
  });
  router.all("/sessions", methodNotAllowed("GET, HEAD"));

  /** Log out everywhere (or everywhere else): every session of the current user, found through the per-user index. */
  router.post("/sessions/revoke-all", csrf, ...body, signed, async (req, res) => {
    const current = res.locals.session as ActiveSession;
    const keepCurrent = readKeepCurrent(req.body);
    const ended = await sessions.endAllOf(current.user.id, keepCurrent ? { except: current.sid } : { include: current });
    logger.info({ event: "logout_everywhere", userId: current.user.id, sessions: ended, keepCurrent }, "logged out everywhere");
    if (!keepCurrent) sessions.clearCookie(res);
    res.status(200).json({ revoked: ended });
  });
  router.all("/sessions/revoke-all", methodNotAllowed("POST"));

  router.delete("/sessions/:id", csrf, ...body, signed, async (req, res) => {
    const current = res.locals.session as ActiveSession;
    const id = String(req.params.id);
    const target = PUBLIC_ID.test(id) ? (await sessions.sessionsOf(current.user.id)).find((one) => one.publicId === id) : undefined;
    if (!target) throw new ApiError(404, "not_found");
    // The current session's tokens are revoked upstream (its cookie is here); another's cannot be opened, only deleted.
    await sessions.end(target.sid, target.sid === current.sid ? current : target.record);
    if (target.sid === current.sid) sessions.clearCookie(res);
    logger.info({ event: "session_revoked", userId: current.user.id, current: target.sid === current.sid }, "session ended");
    res.status(204).end();
  });
  router.all("/sessions/:id", methodNotAllowed("DELETE"));

  return router;
}

function readKeepCurrent(body: unknown): boolean {
  if (body === undefined) return false;
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError(400, "bad_request", { message: "The body must be a JSON object." });
  }
  const { keepCurrent } = body as { keepCurrent?: unknown };
  if (keepCurrent !== undefined && typeof keepCurrent !== "boolean") {
    throw new ApiError(400, "bad_request", { message: "keepCurrent must be true or false." });
  }
  return keepCurrent === true;
}
