// Work that runs after an answer went out (finding the account, making its token, sending the mail), so the answer
// to "mail me a link" takes the same time whether or not the account exists and however slow the mail server is.
// Failures go to the service's error log, never to the caller (who already has the 204).

export class Outbox {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Runs `job` on a later turn of the event loop; its failure is logged. */
  enqueue(job: () => Promise<void>): void {
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(job)
      .catch((error: unknown) => this.onError(error))
      .finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  /** Waits for the queued work, at most `deadlineMs`. */
  async drain(deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
