// Any failure of the session store becomes one error: 503 session_store_unavailable; and a store
// operation that does not answer in time is a failure.
// A request that needs a session must never be answered as anonymous because the store is down.
import { ApiError } from "./errors.js";

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

/** Rejects when `operation` has not settled within `ms`; a late result is ignored. */
export function withDeadline<T>(operation: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}
