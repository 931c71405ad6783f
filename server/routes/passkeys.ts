// Passkeys (design.md, "Passkeys (WebAuthn)"): `POST /passkeys/login/options`, `POST /passkeys/login`,
// `POST /passkeys/register/options`, `POST /passkeys`, `GET /passkeys`, `DELETE /passkeys/<id>`. The auth service is the
// relying party (auth-api-contract.md, extension 8): it makes and checks every challenge and keeps the credentials;
// this module relays the WebAuthn JSON through auth-client/client.ts and turns a verified assertion into a session.
//
// Threat model and stance (security.md 32):
// - A passkey login takes the password login's path (session.ts `signIn`): CSRF and origin check, the per-address
//   login limit (its failures count with the password's), a regenerated session id, the per-user index, the same
//   logs and body. Every refusal is one `401 invalid_credentials`.
// - The sign-in challenge is bound to the browser that asked for it (session/browser-bound.ts, its own cookie,
//   5 minutes): an assertion over a challenge another browser fetched is refused here, before the auth service, which
//   itself spends every challenge on first use and checks origin and RP id.
// - Registering, listing and removing need a signed-in session and act on its user only (the refresh token names
//   the user at the auth service): another user's passkey id is the same 404 as an unknown one.
// - A session signed in through an OpenID Connect provider has no account at the auth service: it lists no
//   passkeys, and adding one is `400 bad_request` (the provider is how that user signs in), as a password change is.
import express, { type Request, type Response } from "express";
import { ApiError } from "../http/errors.js";
import type { ActiveSession } from "../session/record.js";
import { userAgentLabel } from "../session/user-agent.js";
import type { RouteDeps } from "./auth-router.js";
import { csrfGuard, endSessionOnRejectedToken, featureGuard, methodNotAllowed, secureTransportGuard, signedIn } from "./guards.js";
import { loginCounter, signIn } from "./session.js";

/** The bound entry's kind in the shared store, and how long a sign-in ceremony may take (the auth service's 5 minutes). */
const LOGIN_CHALLENGE = "passkey-login";
const CHALLENGE_TTL_MS = 300_000;
const MAX_NAME_LENGTH = 64;
const PASSKEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `credential` of a body: a JSON object (its contents are the auth service's to judge), else 400. */
function readCredential(body: unknown): Record<string, unknown> {
  const credential = body && typeof body === "object" && !Array.isArray(body) ? (body as { credential?: unknown }).credential : undefined;
  if (!credential || typeof credential !== "object" || Array.isArray(credential)) {
    throw new ApiError(400, "bad_request", { message: "The body must be a JSON object with a credential object." });
  }
  return credential as Record<string, unknown>;
}

/** The challenge an assertion's clientDataJSON names (to find its browser binding), or undefined. */
function claimedChallenge(credential: Record<string, unknown>): string | undefined {
  const response = credential.response as { clientDataJSON?: unknown } | undefined;
  const encoded = response && typeof response === "object" ? response.clientDataJSON : undefined;
  if (typeof encoded !== "string" || encoded.length > 65_536) return undefined;
  try {
    const challenge = (JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === "string" && challenge.length > 0 && challenge.length <= 256 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** A new passkey's name: the body's (trimmed, at most 64 characters), else a label of the browser that made it. */
function readName(req: Request): string {
  const name = (req.body as { name?: unknown }).name;
  if (name !== undefined && name !== null && typeof name !== "string")
    throw new ApiError(400, "bad_request", { message: "name must be a string." });
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (trimmed.length > MAX_NAME_LENGTH) {
    throw new ApiError(400, "bad_request", { message: `name must be at most ${MAX_NAME_LENGTH} characters.` });
  }
  return trimmed !== "" ? trimmed : userAgentLabel(req.headers["user-agent"]);
}

export function passkeyRoutes(deps: RouteDeps): express.Router {
  const { config, logger, sessions, authClient, originPolicy, contextOf, rateLimits, body, metrics, passkeyChallenges } = deps;
  const router = express.Router();
  const feature = featureGuard(config.authFeatures, "passkeys");
  const csrf = csrfGuard(originPolicy);
  const secureTransport = secureTransportGuard(config.cookieSecure, contextOf);
  const signed = signedIn(sessions);

  /** Runs a call with the session's refresh token, opened from its seal (a provider session has none here: 400). */
  function withRefreshToken<T>(res: Response, call: (refreshToken: string) => Promise<T>): Promise<T> {
    const session = res.locals.session as ActiveSession;
    if (session.oidc) {
      throw new ApiError(400, "bad_request", {
        message: "This account signs in through its identity provider, which keeps its credentials.",
      });
    }
    return endSessionOnRejectedToken(sessions, session, res, () => call(sessions.tokens(session)?.refreshToken ?? ""));
  }

  router.post("/passkeys/login/options", feature, csrf, ...body, ...rateLimits.passkeyOptions, async (req, res) => {
    const options = await authClient.passkeyAuthenticationOptions();
    // Nothing secret to seal: the sealed `true` only proves, when taken, that this browser made the entry.
    await passkeyChallenges.put(req, res, LOGIN_CHALLENGE, {}, true, CHALLENGE_TTL_MS, String(options.challenge));
    res.status(200).json(options);
  });
  router.all("/passkeys/login/options", feature, methodNotAllowed("POST"));

  router.post(
    "/passkeys/login",
    feature,
    loginCounter(metrics),
    csrf,
    secureTransport,
    ...body,
    ...rateLimits.passkeyLogin,
    sessions.middleware,
    async (req, res) => {
      const credential = readCredential(req.body);
      await signIn(deps, req, res, { method: "passkey" }, async () => {
        // Only a challenge this browser asked for (taken once: a second use finds nothing).
        const challenge = claimedChallenge(credential);
        const bound = challenge === undefined ? null : await passkeyChallenges.take(req, LOGIN_CHALLENGE, challenge);
        if (!bound?.sameBrowser) throw new ApiError(401, "invalid_credentials");
        return authClient.createRefreshTokenWithPasskey(credential);
      });
    },
  );
  router.all("/passkeys/login", feature, methodNotAllowed("POST"));

  router.post("/passkeys/register/options", feature, csrf, ...body, signed, async (_req, res) => {
    const options = await withRefreshToken(res, (refreshToken) => authClient.passkeyRegistrationOptions(refreshToken));
    res.status(200).json(options);
  });
  router.all("/passkeys/register/options", feature, methodNotAllowed("POST"));

  router.get("/passkeys", feature, signed, async (_req, res) => {
    const session = res.locals.session as ActiveSession;
    const passkeys = session.oidc ? [] : await withRefreshToken(res, (refreshToken) => authClient.listPasskeys(refreshToken));
    res.status(200).json({ passkeys });
  });

  router.post("/passkeys", feature, csrf, ...body, signed, async (req, res) => {
    const credential = readCredential(req.body);
    const name = readName(req);
    const passkey = await withRefreshToken(res, (refreshToken) => authClient.registerPasskey(refreshToken, credential, name));
    logger.info({ event: "passkey_added", userId: (res.locals.session as ActiveSession).user.id }, "passkey added");
    res.status(201).json(passkey);
  });
  router.all("/passkeys", feature, methodNotAllowed("GET, HEAD, POST"));

  router.delete("/passkeys/:id", feature, csrf, ...body, signed, async (req, res) => {
    const session = res.locals.session as ActiveSession;
    const id = String(req.params.id);
    // Not a passkey id, or a provider session (which has none): the same 404 as another user's passkey.
    if (!PASSKEY_ID.test(id) || session.oidc) throw new ApiError(404, "not_found");
    await withRefreshToken(res, (refreshToken) => authClient.deletePasskey(refreshToken, id.toLowerCase()));
    logger.info({ event: "passkey_removed", userId: session.user.id }, "passkey removed");
    res.status(204).end();
  });
  router.all("/passkeys/:id", feature, methodNotAllowed("DELETE"));

  return router;
}
