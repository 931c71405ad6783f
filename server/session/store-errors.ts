// The session store's failures: any failure, an operation past its deadline included, becomes one
// error, 503 session_store_unavailable. A request that needs a session must never be answered as
// anonymous because the store is down.
import { ApiError } from "../http/errors.js";

export function storeUnavailable(cause: unknown): ApiError {
  return cause instanceof ApiError ? cause : new ApiError(503, "session_store_unavailable", { cause });
}

/** Runs a store operation and turns any failure into 503 session_store_unavailable. */
export async function guardStore<T>(operation: () => T | Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw storeUnavailable(error);
  }
}
