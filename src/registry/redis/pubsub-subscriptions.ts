import type { Logger } from '@nestjs/common';
import type { PubSub } from './redis-clients';

function ignore(): void {}

/**
 * Reference-counted (S)SUBSCRIBE: the instance listens to a pub/sub channel while
 * anything local needs it (a view's channel, a `channel()` observer) and stops after
 * the last release. Commands go out in call order on one connection, so a release
 * followed by an acquire ends subscribed.
 */
export class PubSubSubscriptions {
  private readonly refs = new Map<string, number>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
    /** Called when the last holder of a name let go of it. */
    private readonly idle: (name: string) => void = ignore,
  ) {}

  /** Whether anything local listens to `name`. */
  has(name: string): boolean {
    return this.refs.has(name);
  }

  /** Resolves once the subscription is in effect. */
  acquire(name: string): Promise<unknown> {
    const count = this.refs.get(name) ?? 0;
    this.refs.set(name, count + 1);
    if (count > 0) return this.pending.get(name) ?? Promise.resolve();
    const subscribed = this.pubsub.subscribe(name);
    this.pending.set(name, subscribed);
    subscribed.catch((error: Error) =>
      this.logger.warn(`Redis: subscribe failed (${error.message})`),
    );
    return subscribed;
  }

  release(name: string): void {
    const count = this.refs.get(name);
    if (count === undefined) return;
    if (count > 1) {
      this.refs.set(name, count - 1);
      return;
    }
    this.refs.delete(name);
    this.pending.delete(name);
    this.idle(name);
    if (!this.stopped) this.pubsub.unsubscribe(name).catch(ignore);
  }

  /** Resolves once every named subscription is in effect; rejects if one failed. */
  async ready(names: Iterable<string>): Promise<void> {
    const waits: Array<Promise<unknown> | undefined> = [];
    for (const name of names) waits.push(this.pending.get(name));
    await Promise.all(waits);
  }

  /** On close: the connection is going away, no UNSUBSCRIBE needed. */
  stop(): void {
    this.stopped = true;
  }
}
