// Where the mailed links of a request point (PASSWORD_RESET_URL, EMAIL_VERIFICATION_URL, else the demo's pages on
// PUBLIC_ORIGIN or the request's own origin) and in which language their mail is written (the body's `lang`, else
// the browser's Accept-Language). The auth service checks every link against LINK_ORIGINS: a forged Host here
// yields a link it refuses, never a mail pointing elsewhere.
import type { Request } from "express";
import { DEFAULT_RESET_PATH, DEFAULT_VERIFY_PATH, type Config } from "../config.js";
import type { LinkRequest } from "../auth-client/client.js";
import type { ContextOf } from "../http/request-context.js";
import { readLang } from "./account-input.js";

export type LinkKind = "reset" | "verify";

export function linkRequest(config: Config, contextOf: ContextOf, req: Request, kind: LinkKind): LinkRequest {
  const configured = kind === "reset" ? config.passwordResetUrl : config.emailVerificationUrl;
  const url = configured ?? `${config.publicOrigin ?? contextOf(req).origin}${kind === "reset" ? DEFAULT_RESET_PATH : DEFAULT_VERIFY_PATH}`;
  const header = req.headers["accept-language"];
  const lang = readLang(req.body) ?? (typeof header === "string" && header.length <= 256 ? header : undefined);
  return { url, lang };
}
