// Liveness and readiness. /healthz answers while the process runs; /readyz asks the session store
// and the auth service and says which one failed, and answers 503 as soon as shutdown has begun, so
// a load balancer stops sending traffic before the listener goes away.
import express from "express";
import type { AuthServiceClient } from "../auth-client/client.js";
import { ApiError, type ErrorExit } from "../http/errors.js";
import type { SessionBackend } from "../session/backend.js";
import { withDeadline } from "./deadline.js";
import type { Lifecycle } from "./shutdown.js";

const CHECK_TIMEOUT_MS = 2_000;

async function answers(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await withDeadline(check(), CHECK_TIMEOUT_MS);
    return true;
  } catch {
    return false;
  }
}

export interface HealthDeps {
  backend: SessionBackend;
  authClient: AuthServiceClient;
  lifecycle: Lifecycle;
  errors: ErrorExit;
}

export function healthRoutes({ backend, authClient, lifecycle, errors }: HealthDeps): express.Router {
  const router = express.Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (req, res) => {
    if (lifecycle.stopping) {
      errors.send(
        req,
        res,
        new ApiError(503, "not_ready", {
          message: "Not ready: the server is shutting down.",
          extra: { checks: { shutdown: "in_progress" } },
        }),
        "readiness",
      );
      return;
    }
    const [sessionStore, authService] = await Promise.all([answers(() => backend.ping()), answers(() => authClient.ping())]);
    const checks = { sessionStore: sessionStore ? "ok" : "unavailable", authService: authService ? "ok" : "unavailable" };
    if (sessionStore && authService) {
      res.json({ status: "ready", checks });
      return;
    }
    const failed = [!sessionStore && "session store", !authService && "auth service"].filter(Boolean).join(" and ");
    errors.send(
      req,
      res,
      new ApiError(503, "not_ready", { message: `Not ready: the ${failed} did not answer.`, extra: { checks } }),
      "readiness",
    );
  });
  return router;
}
