// Liveness and readiness. /healthz answers while the process runs; /readyz asks the session store
// and the auth service, and says which one failed.
import express from "express";
import type { AuthServiceClient } from "../auth-client.js";
import type { SessionBackend } from "../session-backend.js";

const CHECK_TIMEOUT_MS = 2_000;

async function answers(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), CHECK_TIMEOUT_MS);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(backend: SessionBackend, authClient: AuthServiceClient): express.Router {
  const router = express.Router();
  router.get("/healthz", (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const [sessionStore, authService] = await Promise.all([answers(() => backend.ping()), answers(() => authClient.ping())]);
    const checks = { sessionStore: sessionStore ? "ok" : "unavailable", authService: authService ? "ok" : "unavailable" };
    res.setHeader("Cache-Control", "no-store");
    if (sessionStore && authService) {
      res.json({ status: "ready", checks });
      return;
    }
    const failed = [!sessionStore && "session store", !authService && "auth service"].filter(Boolean).join(" and ");
    res.status(503).json({ error: "not_ready", message: `Not ready: the ${failed} did not answer.`, checks });
  });
  return router;
}
