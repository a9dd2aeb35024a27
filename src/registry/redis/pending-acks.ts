interface Pending {
  /** Holders that have not confirmed yet. */
  waiting: Set<string>;
  resolve: (missing: string[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  /** What the confirmations reported together (revoke: connections closed). */
  sum: { value: number };
}

/**
 * Waits for the instances holding a live lease on a view to confirm they applied a
 * subscription change (README "Registries and guarantees" 1). Each confirmation names its instance, so one that
 * did not hear the change (cut from Redis) is known by name, never hidden by a count.
 */
export class PendingAcks {
  private readonly pending = new Map<number, Pending>();
  private sequence = 0;

  /**
   * Starts waiting for `holders`; `done` resolves with the holders that did not
   * confirm within `timeout` (empty once all did).
   */
  expect(
    holders: readonly string[],
    timeout: number,
  ): { id: number; done: Promise<string[]>; sum: { value: number } } {
    const id = ++this.sequence;
    const sum = { value: 0 };
    const done = new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        const entry = this.pending.get(id);
        this.pending.delete(id);
        resolve(entry ? [...entry.waiting] : []);
      }, timeout);
      timer.unref();
      this.pending.set(id, {
        waiting: new Set(holders),
        resolve,
        reject,
        timer,
        sum,
      });
    });
    return { id, done, sum };
  }

  /** Holder `instanceId` applied change `id` (reporting `count`); confirmations of others are ignored. */
  ack(id: number, instanceId: string, count = 0): void {
    const entry = this.pending.get(id);
    if (!entry || !entry.waiting.delete(instanceId)) return;
    entry.sum.value += count;
    if (entry.waiting.size > 0) return;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    entry.resolve([]);
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
}
