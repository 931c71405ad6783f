// Sign in with an OpenID Connect provider (design.md, the BFF of RFC 10017): `GET /oidc/<id>/start`,
// `GET /oidc/<id>/callback`, `GET /oidc/<id>/end-session`, `POST /oidc/backchannel-logout`, and the
// logout link that `POST /logout` answers for a provider session. The provider is spoken to only
// through auth-client/oidc.ts, sessions are made and ended only through session/sessions.ts.
//
// Threat model and stance (security.md 33):
// - start keeps the flow (PKCE verifier, nonce, returnTo, redirect URI) server-side for 10 minutes,
//   bound to this browser by its own cookie (session/browser-bound.ts, which seals the verifier, the
//   nonce and the replaced session's cookie id under a key from that cookie); the provider sees only the
//   S256 challenge, `state` (the flow's random handle) and `nonce`.
// - callback takes the flow once, ever (a replay, concurrent or not, finds it spent), refuses it from
//   another browser (login CSRF), then lets openid-client check the answer and the ID token. Every
//   refusal is a 302 back to the flow's returnTo (or `/`) with `#auth_error=oidc_denied|oidc_failed`,
//   and no session; success is a regenerated session, like a password login.
// - returnTo is a same-origin path or `/` (http/return-to.ts): no open redirect.
// - The provider's tokens stay on the server; the ID token needed for `id_token_hint` is behind a
//   short-lived, single-use, browser-bound handle, so no page script can read it.
// - A back-channel logout token is verified (auth-client/oidc.ts), used once (`jti`), and ends every
//   session it names on every instance (the indexes live in the shared store). It is a
//   server-to-server call authenticated by the token's signature: no cookie, no CSRF header.
import { createHash, randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import express from "express";
import { LogoutTokenInvalid, OidcSignInError, type OidcClients } from "../auth-client/oidc.js";
import type { Config } from "../config.js";
import { ApiError } from "../http/errors.js";
import { hasBody } from "../http/json-body.js";
import { safeReturnTo, withAuthError } from "../http/return-to.js";
import type { BrowserBoundEntries } from "../session/browser-bound.js";
import type { KeyValueStore } from "../session/key-value.js";
import type { ProviderTokenStore, SealedSession } from "../session/provider-tokens.js";
import { oidcUserId, type OidcSessionRecord } from "../session/record.js";
import type { RouteDeps } from "./auth-router.js";
import { methodNotAllowed, secureTransportGuard } from "./guards.js";

/** What the OIDC routes need beside the common route deps (built once in app.ts). */
export interface OidcDeps {
  clients: OidcClients;
  tokens: ProviderTokenStore;
  bound: BrowserBoundEntries;
  kv: KeyValueStore;
}

/** The flow's state, server-side while the browser is at the provider. */
interface Flow {
  provider: string;
  redirectUri: string;
  returnTo: string;
}

/** The flow's secrets, sealed to the browser that started it (browser-bound.ts). */
interface FlowSecret {
  codeVerifier: string;
  nonce: string;
  /** The cookie id of the session this browser held at start, ended once the new one exists. */
  previousSid: string | undefined;
}

interface EndSession {
  provider: string;
  postLogoutRedirectUri: string;
}

/** Sealed to the browser that logged out. */
interface EndSessionSecret {
  idToken: string;
}

const FLOW_TTL_MS = 600_000;
const END_SESSION_TTL_MS = 300_000;
const PROVIDER_ID = /^[a-z][a-z0-9_]*$/;

/** The providers `GET /auth/config` lists (`providers: [{id, name}]`), in OIDC_PROVIDERS order. */
export function oidcProviders(config: Pick<Config, "oidcProviders">): Array<{ id: string; name: string }> {
  return config.oidcProviders.map(({ id, name }) => ({ id, name }));
}

/** The origin browsers use: PUBLIC_ORIGIN, else this request's own (as the request context sees it). */
function publicOrigin(deps: RouteDeps, req: Request): string {
  const origin = deps.config.publicOrigin ?? deps.contextOf(req).origin;
  if (!origin) throw new ApiError(400, "bad_request", { message: "The request has no usable Host." });
  return origin;
}

/**
 * For `POST /logout` of a provider session: the same-origin URL that sends the browser to the
 * provider's end-session endpoint with `id_token_hint`, or undefined when the provider offers none
 * (the logout is then a plain 204). Call before the session ends: it reads the newest ID token.
 */
export async function endSessionLink(
  deps: RouteDeps,
  req: Request,
  res: Response,
  session: OidcSessionRecord & SealedSession,
): Promise<string | undefined> {
  const { clients, tokens, bound } = deps.oidc;
  const provider = session.oidc.provider;
  if (!clients.offersEndSession(provider)) return undefined;
  const current = await tokens.current(session);
  if (!current) return undefined;
  const entry: EndSession = { provider, postLogoutRedirectUri: `${publicOrigin(deps, req)}/` };
  const secret: EndSessionSecret = { idToken: current.tokens.idToken };
  const handle = await bound.put(req, res, "oidc-end", entry, secret, END_SESSION_TTL_MS);
  return `${deps.config.authPrefix}/oidc/${provider}/end-session?handle=${handle}`;
}

export function oidcRoutes(deps: RouteDeps): express.Router {
  const { config, logger, sessions } = deps;
  const { clients, bound, kv } = deps.oidc;
  const router = express.Router();
  const secureTransport = secureTransportGuard(config.cookieSecure, deps.contextOf);
  const form = express.urlencoded({ extended: false, limit: config.bodyLimitBytes, type: "application/x-www-form-urlencoded" });

  const providerOf = (req: Request): string => {
    const id = String(req.params.id ?? "");
    if (!PROVIDER_ID.test(id) || !clients.has(id)) throw new ApiError(404, "not_found");
    return id;
  };

  router.get("/oidc/:id/start", secureTransport, async (req, res) => {
    const provider = providerOf(req);
    const returnTo = safeReturnTo(req.query.returnTo);
    if (!clients.ready(provider)) {
      logger.warn({ event: "login_failed", method: "oidc", provider, reason: "provider_unavailable" }, "OIDC provider not discovered yet");
      res.redirect(302, withAuthError(returnTo, "oidc_unavailable"));
      return;
    }
    const flow: Flow = {
      provider,
      redirectUri: `${publicOrigin(deps, req)}${config.authPrefix}/oidc/${provider}/callback`,
      returnTo,
    };
    const secret: FlowSecret = {
      // 256 random bits each; the verifier's 43 base64url characters are what RFC 7636 asks.
      codeVerifier: randomBytes(32).toString("base64url"),
      nonce: randomBytes(32).toString("base64url"),
      previousSid: sessions.keysOf(req)?.cookieId,
    };
    const state = await bound.put(req, res, "oidc-flow", flow, secret, FLOW_TTL_MS);
    const url = await clients.authorizationUrl(provider, { ...flow, ...secret, state });
    res.redirect(302, url.href);
  });
  router.all("/oidc/:id/start", methodNotAllowed("GET, HEAD"));

  router.get("/oidc/:id/callback", sessions.middleware, async (req, res) => {
    const provider = providerOf(req);
    bound.clear(res);
    const fail = (returnTo: string, code: "oidc_denied" | "oidc_failed", reason: string): void => {
      logger.info({ event: "login_failed", method: "oidc", provider, reason }, "OIDC sign-in refused");
      res.redirect(302, withAuthError(returnTo, code));
    };
    const query = new URLSearchParams(req.originalUrl.split("?")[1] ?? "");
    const state = query.get("state");
    const taken = state ? await bound.take<Flow, FlowSecret>(req, "oidc-flow", state) : null;
    if (!taken) return fail("/", "oidc_failed", state ? "unknown_or_spent_state" : "no_state");
    const flow = taken.value;
    const secret = taken.secret;
    if (!secret) return fail(flow.returnTo, "oidc_failed", "other_browser");
    if (flow.provider !== provider) return fail(flow.returnTo, "oidc_failed", "provider_mismatch");
    let signIn;
    try {
      signIn = await clients.signIn(provider, query, { ...flow, ...secret, state: state! });
    } catch (error) {
      if (error instanceof OidcSignInError) return fail(flow.returnTo, error.code, error.reason);
      throw error;
    }
    const user = { id: oidcUserId(provider, signIn.sub), email: signIn.email };
    await sessions.establishWithProvider(
      req,
      { provider, sub: signIn.sub, sid: signIn.sid, tokens: signIn.tokens },
      user,
      secret.previousSid,
    );
    logger.info({ event: "login_ok", method: "oidc", provider, userId: user.id }, "login");
    res.redirect(302, flow.returnTo);
  });
  router.all("/oidc/:id/callback", methodNotAllowed("GET, HEAD"));

  router.get("/oidc/:id/end-session", async (req, res) => {
    const provider = providerOf(req);
    bound.clear(res);
    const handle = typeof req.query.handle === "string" ? req.query.handle : "";
    const taken = handle ? await bound.take<EndSession, EndSessionSecret>(req, "oidc-end", handle) : null;
    const url =
      taken?.secret && taken.value.provider === provider
        ? clients.endSessionUrl(provider, taken.secret.idToken, taken.value.postLogoutRedirectUri)
        : undefined;
    // Signed out here already (POST /logout ended the session); without a good handle, just go home.
    res.redirect(302, url?.href ?? "/");
  });
  router.all("/oidc/:id/end-session", methodNotAllowed("GET, HEAD"));

  router.post("/oidc/backchannel-logout", form, async (req, res) => {
    if (hasBody(req.headers) && !req.is("application/x-www-form-urlencoded")) {
      throw new ApiError(415, "unsupported_media_type", { message: "The body must be application/x-www-form-urlencoded." });
    }
    const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
    if (typeof token !== "string" || token.length === 0 || token.length > 16_384) throw new ApiError(400, "logout_token_invalid");
    let logout;
    try {
      logout = await clients.verifyLogoutToken(token);
    } catch (error) {
      if (!(error instanceof LogoutTokenInvalid)) throw error;
      logger.info({ event: "backchannel_logout_refused", reason: error.reason }, "back-channel logout token refused");
      throw new ApiError(400, "logout_token_invalid");
    }
    // Used once: a replayed token could otherwise end a session made after it was sent.
    const jtiKey = `oidc-logout-jti:${logout.provider}:${createHash("sha256").update(logout.jti).digest("base64url")}`;
    const ttlMs = Math.max(1_000, logout.expiresAt - Date.now() + 60_000);
    if (!(await kv.setIfAbsent(jtiKey, "1", ttlMs))) {
      logger.info(
        { event: "backchannel_logout_refused", provider: logout.provider, reason: "replayed" },
        "back-channel logout token replayed",
      );
      throw new ApiError(400, "logout_token_invalid");
    }
    const ended = await sessions.endProviderSessions(logout.provider, { sub: logout.sub, sid: logout.sid });
    logger.info({ event: "backchannel_logout", provider: logout.provider, sessions: ended }, "back-channel logout");
    res.status(200).json({});
  });
  router.all("/oidc/backchannel-logout", methodNotAllowed("POST"));

  return router;
}
