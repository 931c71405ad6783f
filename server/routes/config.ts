// `GET /auth/config`: what this deployment offers (AUTH_FEATURES and the reference service's settings), so the
// elements show only what works. Public and the same for everyone, so it alone is cacheable (60 s).
import express from "express";
import type { RouteDeps } from "./auth-router.js";
import { methodNotAllowed } from "./guards.js";
import { oidcProviders } from "./oidc.js";

export function configRoutes(deps: RouteDeps): express.Router {
  const { config } = deps;
  const router = express.Router();
  const body = {
    passwordReset: config.authFeatures.has("password-reset"),
    emailVerification: config.emailVerification,
    passkeys: config.authFeatures.has("passkeys"),
    // The OpenID Connect providers of OIDC_PROVIDERS, in their order: `{id, name}` for the buttons.
    providers: oidcProviders(config),
    minPasswordLength: config.minPasswordLength,
  };
  router.get("/config", (_req, res) => {
    res.setHeader("Cache-Control", "public, max-age=60");
    res.status(200).json(body);
  });
  router.all("/config", methodNotAllowed("GET, HEAD"));
  return router;
}
