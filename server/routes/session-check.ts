// `GET /auth/session`: the session check every page makes, so it is the hottest route. It is
// served before Express's router (and by the router for the rare odd URL, through this same
// function): security headers from a precomputed list, CORS, one store read, a small JSON body.
import type { IncomingMessage, ServerResponse } from "node:http";
import { applyCors } from "../cors.js";
import type { OriginPolicy } from "../csrf.js";
import { toApiError, writeError } from "../errors.js";
import type { Logger } from "../logger.js";
import { setHeaders, type HeaderList } from "../security-headers.js";
import { sessionBody, type SessionReader } from "../session.js";

const ANONYMOUS = JSON.stringify({ authenticated: false });

export type SessionCheck = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createSessionCheck(deps: { reader: SessionReader; originPolicy: OriginPolicy; headers: HeaderList; logger: Logger }): SessionCheck {
  const { reader, originPolicy, headers, logger } = deps;
  return async function sessionCheck(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      setHeaders(res, headers);
      if (applyCors(req, res, originPolicy, false)) return;
      const session = await reader.load(req);
      const body = session ? JSON.stringify(sessionBody(session.user, session.expiresAt)) : ANONYMOUS;
      res.statusCode = 200;
      res.setHeader("Cache-Control", "no-store");
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Content-Length", Buffer.byteLength(body));
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.status >= 500) logger.warn({ event: "session_check_failed", code: apiError.code }, "session check failed");
      writeError(res, apiError);
    }
  };
}
