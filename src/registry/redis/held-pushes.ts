/**
 * Pushes that arrive on the subscriber connection while the instance recovers from a
 * lost Redis connection: its local subscription sets may be stale, so they wait until
 * the views match Redis again and are then handed on in arrival order. Bounded: past
 * `max` a push is dropped and counted (it was never confirmed deliverable anyway).
 */
export class HeldPushes {
  private items: Array<[pubsubChannel: string, message: string]> = [];
  private dropped = 0;

  constructor(private readonly max: number) {}

  hold(pubsubChannel: string, message: string): void {
    if (this.items.length < this.max) this.items.push([pubsubChannel, message]);
    else this.dropped++;
  }

  /** Empties the buffer: what it held and how many pushes did not fit. */
  take(): {
    items: Array<[pubsubChannel: string, message: string]>;
    dropped: number;
  } {
    const taken = { items: this.items, dropped: this.dropped };
    this.items = [];
    this.dropped = 0;
    return taken;
  }
}
