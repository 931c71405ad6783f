// The embedded backend (no REDIS_URL): sessions in SQLite under DATA_DIR, small shared state in
// memory. One process only; `npm start` and single-machine installs run on it.
import path from "node:path";
import { MemoryKeyValue } from "./key-value.js";
import type { SessionBackend, TtlOf } from "./backend.js";
import { SqliteSessionStore } from "./sqlite-store.js";
import { guardStore } from "./store-errors.js";

export function createEmbeddedBackend(dataDir: string, ttlMsOf: TtlOf): SessionBackend {
  const store = new SqliteSessionStore(path.join(dataDir, "sessions.sqlite"), ttlMsOf);
  const kv = new MemoryKeyValue();
  return {
    kind: "embedded",
    store,
    kv,
    read: (sid) => guardStore(() => store.read(sid)),
    extend: (sid, ttlMs) => guardStore(() => store.extend(sid, ttlMs)),
    destroy: (sid) => guardStore(() => new Promise<void>((resolve, reject) => store.destroy(sid, (e) => (e ? reject(e) : resolve())))),
    patch: (sid, change) => guardStore(() => store.patch(sid, change)),
    ping: () => guardStore(() => store.ping()),
    async close() {
      kv.close();
      store.close();
    },
  };
}
