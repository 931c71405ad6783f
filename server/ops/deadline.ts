// Bounded waits: an operation, or a client's close, that does not settle in time. Used wherever the
// server waits on something outside the process (Redis, the auth service, upstreams), so that a dead
// or frozen peer can slow a request or a shutdown down by a known amount, never hang it.

/** Rejects when `operation` has not settled within `ms`; a late result is ignored. */
export function withDeadline<T>(operation: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Closes a client gracefully, or destroys it when its close has not settled within `deadlineMs` (or
 * failed): a client waiting for replies from a dead or frozen server would otherwise never close.
 */
export async function closeWithin(close: () => Promise<unknown>, destroy: () => void, deadlineMs: number): Promise<void> {
  try {
    await withDeadline(Promise.resolve().then(close), deadlineMs);
  } catch {
    try {
      destroy();
    } catch {
      // already gone
    }
  }
}
