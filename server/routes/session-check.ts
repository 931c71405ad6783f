// `GET /auth/session`: the session check every page makes, so it is the hottest route. It is
// served before Express's router (and by the router for the rare odd URL, through this same
// function): security headers from a precomputed list, CORS, one store read, a small JSON body.
import type { IncomingMessage, ServerResponse } from "node:http";
import { applyCors } from "../http/cors.js";
import type { OriginPolicy } from "../http/csrf.js";
import type { ErrorExit } from "../http/errors.js";
import { flatHeaders, setHeaders, type HeaderList } from "../http/security-headers.js";
import { sessionBody, type Sessions } from "../session/sessions.js";

const ANONYMOUS = JSON.stringify({ authenticated: false });
const JSON_TYPE = "application/json; charset=utf-8";

export type SessionCheck = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createSessionCheck(deps: {
  sessions: Sessions;
  originPolicy: OriginPolicy;
  headers: HeaderList;
  errors: ErrorExit;
}): SessionCheck {
  const { sessions, originPolicy, headers, errors } = deps;
  // A same-origin check (no Origin header, which is every page's own) gets no CORS headers but
  // `Vary: Origin`, exactly as applyCors() would answer it: its whole head is this fixed list.
  const sameOriginHead = [...flatHeaders(headers), "Vary", "Origin", "Content-Type", JSON_TYPE];
  return async function sessionCheck(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const sameOrigin = !req.headers.origin && req.method !== "OPTIONS";
      if (!sameOrigin) {
        setHeaders(res, headers);
        if (applyCors(req, res, originPolicy, false)) return;
      }
      const session = await sessions.load(req);
      const body = session ? JSON.stringify(sessionBody(session.user, session.expiresAt)) : ANONYMOUS;
      const length = String(Buffer.byteLength(body));
      res.writeHead(
        200,
        sameOrigin ? [...sameOriginHead, "Content-Length", length] : ["Content-Type", JSON_TYPE, "Content-Length", length],
      );
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (error) {
      errors.send(req, res, error, "session_check");
    }
  };
}
