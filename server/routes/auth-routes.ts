// The session server's own API under AUTH_PREFIX (default /auth): session check, signup, login,
// logout. Bodies, statuses and error codes are the contract in design.md.
import { promisify } from "node:util";
import express, { type Request, type RequestHandler, type Response } from "express";
import type { AuthServiceClient, RefreshTokenGrant } from "../auth-client.js";
import type { Config } from "../config.js";
import type { OriginPolicy } from "../csrf.js";
import { ApiError } from "../errors.js";
import { jsonBody } from "../json-body.js";
import type { Logger } from "../logger.js";
import type { SessionBackend, StoredSession } from "../session-backend.js";
import type { SessionCheck } from "./session-check.js";
import { cookieSettings, sessionBody, type SessionLimits, type SessionReader } from "../session.js";

export interface AuthRoutesDeps {
  config: Config;
  logger: Logger;
  backend: SessionBackend;
  reader: SessionReader;
  authClient: AuthServiceClient;
  originPolicy: OriginPolicy;
  sessionMiddleware: RequestHandler;
  /** GET /session, shared with the fast path in app.ts. */
  sessionCheck: SessionCheck;
  rateLimits: { login: RequestHandler[]; signup: RequestHandler[] };
  limits: SessionLimits;
  /** Ends a session everywhere: store key, JWT cache, per-user index. */
  endSession: (sid: string, userId: string) => Promise<void>;
}

const MAX_EMAIL_LENGTH = 320;
const MAX_PASSWORD_LENGTH = 4096;

interface Credentials {
  email: string;
  password: string;
}

/** Wrong types are a malformed request (400); empty or oversized values are violations (422). */
function readCredentials(body: unknown, checkRules: boolean): Credentials {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError(400, "bad_request", { message: "The body must be a JSON object with email and password." });
  }
  const { email, password } = body as Record<string, unknown>;
  if ((email !== undefined && typeof email !== "string") || (password !== undefined && typeof password !== "string")) {
    throw new ApiError(400, "bad_request", { message: "email and password must be strings." });
  }
  if (!checkRules && (email === undefined || password === undefined)) {
    throw new ApiError(400, "bad_request", { message: "email and password are required." });
  }
  const credentials = { email: (email ?? "").trim(), password: password ?? "" };
  const violations = [];
  if (!credentials.email) violations.push({ field: "email", code: "required", message: "This value should not be blank." });
  else if (credentials.email.length > MAX_EMAIL_LENGTH) {
    violations.push({ field: "email", code: "too_long", message: `This value is too long. It should have ${MAX_EMAIL_LENGTH} characters or less.` });
  }
  if (!credentials.password) violations.push({ field: "password", code: "required", message: "This value should not be blank." });
  else if (credentials.password.length > MAX_PASSWORD_LENGTH) {
    violations.push({ field: "password", code: "too_long", message: `This value is too long. It should have ${MAX_PASSWORD_LENGTH} characters or less.` });
  }
  if (violations.length > 0) {
    if (checkRules) throw new ApiError(422, "validation_failed", { extra: { violations } });
    throw new ApiError(401, "invalid_credentials"); // login has no rules to report: a blank field cannot match
  }
  return credentials;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  next();
};

function methodNotAllowed(allow: string): RequestHandler {
  return (_req, res, next) => {
    res.setHeader("Allow", allow);
    next(new ApiError(405, "method_not_allowed"));
  };
}

export function authRoutes(deps: AuthRoutesDeps): express.Router {
  const { config, logger, backend, reader, authClient, originPolicy, limits } = deps;
  const router = express.Router();
  const csrf: RequestHandler = (req, _res, next) => {
    originPolicy.check(req);
    next();
  };
  const body = jsonBody(config.bodyLimitBytes);
  const cookie = cookieSettings(config);

  /** Regenerates the session (no fixation) and stores the grant; revokes the grant if that fails. */
  async function establishSession(req: Request, grant: RefreshTokenGrant, email: string): Promise<number> {
    const createdAt = Date.now();
    // A session this login replaces (the same browser was signed in): its token must not outlive it.
    const { user, refreshToken, refreshTokenIri } = req.session;
    const replaced = refreshToken && refreshTokenIri ? { sid: req.sessionID, stored: { user, refreshToken, refreshTokenIri } } : undefined;
    try {
      await promisify(req.session.regenerate.bind(req.session))();
      req.session.user = { id: grant.user.id, email };
      req.session.userIri = grant.user.iri;
      req.session.refreshToken = grant.token;
      req.session.refreshTokenIri = grant.iri;
      req.session.createdAt = createdAt;
      await promisify(req.session.save.bind(req.session))();
      await backend.kv.addToSet(`user-sessions:${grant.user.id}`, req.sessionID, limits.absoluteMs);
    } catch (error) {
      // Nothing may be left behind: a refresh token that no session holds is revoked at once, and the
      // half-made session is dropped, or express-session would still send its cookie with the error and
      // retry the save when the response ends (storing a session whose token was just revoked).
      delete (req as { session?: unknown }).session;
      await authClient.revokeRefreshToken(grant.iri, grant.token).catch(() => undefined);
      throw error instanceof ApiError ? error : new ApiError(503, "session_store_unavailable", { cause: error });
    }
    if (replaced) {
      // regenerate() deleted its store key; revoke its refresh token and drop what was kept beside it.
      await revokeAndEnd(replaced.sid, replaced.stored).catch((error: unknown) => {
        logger.warn({ event: "replaced_session_cleanup_failed", code: (error as ApiError).code }, "could not end the replaced session");
      });
    }
    return createdAt + Math.min(limits.idleMs, limits.absoluteMs);
  }

  /** Revokes a stored session's refresh token upstream (best effort) and ends the session everywhere. */
  async function revokeAndEnd(sid: string, stored: StoredSession | undefined): Promise<void> {
    if (stored?.refreshToken && stored.refreshTokenIri) {
      try {
        await authClient.revokeRefreshToken(stored.refreshTokenIri, stored.refreshToken);
      } catch (error) {
        // The session ends regardless; the token expires upstream on its own.
        logger.warn({ event: "refresh_revoke_failed", code: (error as ApiError).code }, "could not revoke refresh token");
      }
    }
    if (stored?.user) await deps.endSession(sid, stored.user.id);
    else await backend.destroy(sid);
  }

  const clearSessionCookie = (res: Response): void => {
    res.clearCookie(cookie.name, { path: cookie.path, httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, secure: cookie.secure });
  };

  router.use(noStore);

  router.get("/session", (req, res) => deps.sessionCheck(req, res));
  router.all("/session", methodNotAllowed("GET, HEAD"));

  /**
   * With Secure cookies on (COOKIE_SECURE, production), express-session will not send the cookie on
   * a request that did not come over HTTPS, so a login there would leave a session, and a live
   * refresh token, that nobody can reach. Refuse it up front, before the auth service is asked.
   */
  const requireSecureTransport: RequestHandler = (req, _res, next) => {
    if (cookie.secure && !req.secure) {
      return next(
        new ApiError(400, "bad_request", {
          message: "Sign-in needs HTTPS here (Secure cookies are on). Behind a TLS proxy, set TRUST_PROXY.",
        }),
      );
    }
    next();
  };

  router.post("/signup", csrf, requireSecureTransport, ...body, ...deps.rateLimits.signup, deps.sessionMiddleware, async (req, res) => {
    const { email, password } = readCredentials(req.body, true);
    const user = await authClient.signup(email, password);
    const grant = await authClient.createRefreshToken(email, password);
    const expiresAt = await establishSession(req, grant, email);
    logger.info({ event: "signup_ok", userId: user.id }, "signup");
    res.status(201).json(sessionBody(req.session.user!, expiresAt));
  });
  router.all("/signup", methodNotAllowed("POST"));

  router.post("/login", csrf, requireSecureTransport, ...body, ...deps.rateLimits.login, deps.sessionMiddleware, async (req, res) => {
    const { email, password } = readCredentials(req.body, false);
    let grant: RefreshTokenGrant;
    try {
      grant = await authClient.createRefreshToken(email, password);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) logger.info({ event: "login_failed" }, "login failed");
      throw error;
    }
    const expiresAt = await establishSession(req, grant, email);
    logger.info({ event: "login_ok", userId: grant.user.id }, "login");
    res.status(200).json(sessionBody(req.session.user!, expiresAt));
  });
  router.all("/login", methodNotAllowed("POST"));

  router.post("/logout", csrf, ...body, async (req, res) => {
    const sid = reader.sessionId(req);
    if (sid !== null) {
      const stored = (await backend.read(sid))?.session;
      await revokeAndEnd(sid, stored);
      if (stored?.user) logger.info({ event: "logout", userId: stored.user.id }, "logout");
    }
    clearSessionCookie(res);
    res.status(204).end();
  });
  router.all("/logout", methodNotAllowed("POST"));

  /** Log out everywhere: every session of the current user, found through the per-user index. */
  router.post("/sessions/revoke-all", csrf, ...body, async (req, res) => {
    const current = await reader.load(req);
    if (!current) throw new ApiError(401, "unauthenticated");
    const sids = new Set([...(await backend.kv.members(`user-sessions:${current.user.id}`)), current.sid]);
    // In parallel: a slow auth service then costs one AUTH_TIMEOUT_MS, not one per session.
    const endedEach = await Promise.all(
      [...sids].map(async (sid) => {
        const stored = (await backend.read(sid))?.session;
        if (stored?.user && stored.user.id !== current.user.id) return false; // never touch another user's session
        await revokeAndEnd(sid, stored);
        return stored !== undefined;
      }),
    );
    const ended = endedEach.filter(Boolean).length;
    await backend.kv.delete(`user-sessions:${current.user.id}`);
    logger.info({ event: "logout_everywhere", userId: current.user.id, sessions: ended }, "logged out everywhere");
    clearSessionCookie(res);
    res.status(200).json({ revoked: ended });
  });
  router.all("/sessions/revoke-all", methodNotAllowed("POST"));

  router.use((_req: Request, _res: Response, next) => next(new ApiError(404, "not_found")));
  return router;
}
