interface Pending {
  received: number;
  expected: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Waits for the instances holding a view to confirm they applied a subscription
 * change (SPEC §6.1). Acks may arrive before the PUBLISH reply says how many to expect.
 */
export class PendingAcks {
  private readonly pending = new Map<number, Pending>();
  private sequence = 0;

  /** Starts waiting; returns the request id and a promise settled by `arm` + acks, or the timeout. */
  expect(
    timeout: number,
    onTimeout: () => Error,
  ): { id: number; done: Promise<void> } {
    const id = ++this.sequence;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(onTimeout());
      }, timeout);
      timer.unref();
      this.pending.set(id, {
        received: 0,
        expected: Infinity,
        resolve,
        reject,
        timer,
      });
    });
    return { id, done };
  }

  /** The PUBLISH reached `expected` holders. */
  arm(id: number, expected: number): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    entry.expected = expected;
    this.settleIfDone(id, entry);
  }

  ack(id: number): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    entry.received++;
    this.settleIfDone(id, entry);
  }

  fail(id: number, error: Error): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    entry.reject(error);
  }

  rejectAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
  }

  private settleIfDone(id: number, entry: Pending): void {
    if (entry.received < entry.expected) return;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    entry.resolve();
  }
}
