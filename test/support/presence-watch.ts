import type { Observable } from 'rxjs';
import type { PresenceChange } from '../../src';
import { FrameQueue } from '../../src/testing/frame-queue';

/** A `presence$` stream's changes, awaited one at a time with a bounded timeout. */
export interface PresenceWatch {
  next(timeout?: number): Promise<PresenceChange>;
  /** Changes heard and not taken yet. */
  readonly pending: PresenceChange[];
  stop(): void;
}

export function watchPresence(
  changes$: Observable<PresenceChange>,
): PresenceWatch {
  const queue = new FrameQueue();
  const subscription = changes$.subscribe((change) =>
    queue.push(JSON.stringify(change)),
  );
  return {
    next: async (timeout = 8000) =>
      JSON.parse(await queue.take(timeout)) as PresenceChange,
    get pending() {
      return queue.items.map((item) => JSON.parse(item) as PresenceChange);
    },
    stop: () => subscription.unsubscribe(),
  };
}
