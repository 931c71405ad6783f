// The test matrix: each session-server test file runs against the embedded store and a real redis-server,
// and against the reference auth service (in-process) and the 2019-dialect legacy fixture.
import { startLegacyAuthService, type LegacyAuthService, type LegacyAuthServiceOptions } from "../fixtures/legacy-auth-service.js";
import type { RedisServer } from "./redis-server.js";
import { startTestSessionServer, type Env, type TestSessionServer } from "./session-server.js";

export type StoreMode = "embedded" | "redis";
export type AuthMode = "reference" | "legacy";

export const STORE_MODES: StoreMode[] = ["embedded", "redis"];

export const MATRIX: Array<{ store: StoreMode; auth: AuthMode }> = [
  { store: "embedded", auth: "reference" },
  { store: "redis", auth: "reference" },
  { store: "embedded", auth: "legacy" },
  { store: "redis", auth: "legacy" },
];

export interface ModeSetup {
  server: TestSessionServer;
  /** Present in legacy mode. */
  legacy: LegacyAuthService | undefined;
  close(): Promise<void>;
}

/** Starts a session server in the given mode; `redis` must be running when store is "redis". */
export async function startMode(
  mode: { store: StoreMode; auth: AuthMode },
  redis: RedisServer | undefined,
  env: Env = {},
  legacyOptions: LegacyAuthServiceOptions = {},
): Promise<ModeSetup> {
  const legacy = mode.auth === "legacy" ? await startLegacyAuthService(legacyOptions) : undefined;
  if (mode.store === "redis" && !redis) throw new Error("redis mode needs a running redis-server");
  const server = await startTestSessionServer({
    redisUrl: mode.store === "redis" ? redis!.url : undefined,
    authService: legacy?.url,
    env,
  });
  return {
    server,
    legacy,
    async close() {
      await server.close();
      await legacy?.close();
    },
  };
}
