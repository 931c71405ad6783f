// `GET /auth/session`: the session check every page makes, so it is the hottest route. It is
// served before Express's router (and by the router for the rare odd URL, through this same
// function): security headers from a precomputed list, CORS, one store read, a small JSON body.
import type { IncomingMessage, ServerResponse } from "node:http";
import { applyCors } from "../http/cors.js";
import type { OriginPolicy } from "../http/csrf.js";
import type { ErrorExit } from "../http/errors.js";
import { setHeaders, type HeaderList } from "../http/security-headers.js";
import { sessionBody, type Sessions } from "../session/sessions.js";

const ANONYMOUS = JSON.stringify({ authenticated: false });

export type SessionCheck = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createSessionCheck(deps: {
  sessions: Sessions;
  originPolicy: OriginPolicy;
  headers: HeaderList;
  errors: ErrorExit;
}): SessionCheck {
  const { sessions, originPolicy, headers, errors } = deps;
  return async function sessionCheck(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      setHeaders(res, headers);
      if (applyCors(req, res, originPolicy, false)) return;
      const session = await sessions.load(req);
      const body = session ? JSON.stringify(sessionBody(session.user, session.expiresAt)) : ANONYMOUS;
      res.statusCode = 200;
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Content-Length", Buffer.byteLength(body));
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (error) {
      errors.send(req, res, error, "session_check");
    }
  };
}
