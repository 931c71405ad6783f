// `GET /auth/session`: the session check every page makes, so it is the hottest route. It is
// served before Express's router (and by the router for the rare odd URL, through this same
// function): security headers from a precomputed list, CORS, one store read, a small JSON body.
import type { IncomingMessage, ServerResponse } from "node:http";
import { applyCors, needsCors, NO_ORIGIN_CORS_HEADERS } from "../http/cors.js";
import type { OriginPolicy } from "../http/csrf.js";
import type { ErrorExit } from "../http/errors.js";
import { setHeaders, type HeaderList } from "../http/security-headers.js";
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
  // A check that needs no CORS (every page's own, with no Origin header) is answered with one
  // writeHead from this fixed list: Node checks each name and value there too, but skips what each
  // setHeader() costs (lower-casing the name, storing it, listing the stored ones again for the head).
  const fixedHead = [...headers.flat(), ...NO_ORIGIN_CORS_HEADERS, "Content-Type", JSON_TYPE];
  return async function sessionCheck(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const cors = needsCors(req);
      if (cors) {
        setHeaders(res, headers);
        if (applyCors(req, res, originPolicy, false)) return;
      }
      const session = await sessions.load(req);
      const body = session ? JSON.stringify(sessionBody(session.user, session.expiresAt)) : ANONYMOUS;
      const length = String(Buffer.byteLength(body));
      res.writeHead(200, cors ? ["Content-Type", JSON_TYPE, "Content-Length", length] : [...fixedHead, "Content-Length", length]);
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (error) {
      errors.send(req, res, error, "session_check");
    }
  };
}
