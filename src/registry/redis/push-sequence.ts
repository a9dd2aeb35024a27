import type { GapReason } from '../../history/channel-history';

/** A stamped push as it reached this instance (the publisher's script reply, or pub/sub). */
export interface StampedPush {
  readonly epoch: string;
  readonly offset: number;
  readonly json: string;
}

/** What a gap fill read: the pushes after the last one delivered, or why they cannot be had. */
export type GapFill =
  | { readonly ok: true; readonly pushes: readonly StampedPush[] }
  | { readonly ok: false; readonly reason: GapReason };

export interface PushSequenceSinks {
  /** Hands one push on, in offset order. */
  deliver(channel: string, push: StampedPush): void;
  /** The pushes of `channel` between offset `after` and `before` (both excluded), from its history. */
  fill(
    channel: string,
    epoch: string,
    after: number,
    before: number,
  ): Promise<GapFill>;
  /** A gap that could not be filled (README "Delivery guarantees": the connections are told). */
  gap(channel: string, epoch: string, reason: GapReason): void;
}

interface ChannelState {
  epoch: string;
  /** The newest offset delivered. */
  offset: number;
  /** Pushes that arrived while a gap is filled, in arrival order. */
  waiting: StampedPush[] | undefined;
}

/** Pushes of one channel kept while its gap is filled; past it the gap is reported (nothing grows without bound). */
export const MAX_WAITING = 10_000;

/**
 * README "Delivery guarantees" on Redis: each instance hands on every stamped push of a
 * channel once and in offset order, whichever way it arrived — the publisher's own
 * script reply (delivered at once, without waiting for its pub/sub copy) or pub/sub.
 * A push that skips ahead (a pub/sub message lost, or a reply that overtook another
 * instance's push) waits while the missing ones are read from the channel's history;
 * what cannot be read is reported as a gap. A new epoch is a gap too.
 */
export class PushSequence {
  private readonly channels = new Map<string, ChannelState>();

  constructor(private readonly sinks: PushSequenceSinks) {}

  offer(channel: string, push: StampedPush): void {
    const state = this.channels.get(channel);
    if (!state) {
      this.channels.set(channel, {
        epoch: push.epoch,
        offset: push.offset,
        waiting: undefined,
      });
      this.sinks.deliver(channel, push);
      return;
    }
    if (state.waiting) {
      if (state.waiting.length < MAX_WAITING) state.waiting.push(push);
      else this.overflow(channel, state, push);
      return;
    }
    this.next(channel, state, push);
  }

  /**
   * The publisher's own script reply. Only once the channel has a baseline (a push
   * came through pub/sub since this instance listens): before that, an earlier push
   * may still be on its way there, and this one must not be taken as the first.
   */
  offerOwn(channel: string, push: StampedPush): void {
    if (this.channels.has(channel)) this.offer(channel, push);
  }

  /** This instance stopped listening to `channel`: what it knew of it is stale from now on. */
  forget(channel: string): void {
    this.channels.delete(channel);
  }

  /** The newest offset of `channel` in `epoch` handed on (0 when none). */
  delivered(channel: string, epoch: string): number {
    const state = this.channels.get(channel);
    return state !== undefined && state.epoch === epoch ? state.offset : 0;
  }

  private next(channel: string, state: ChannelState, push: StampedPush): void {
    if (push.epoch !== state.epoch) {
      state.epoch = push.epoch;
      state.offset = push.offset;
      this.sinks.gap(channel, push.epoch, 'epoch');
      this.sinks.deliver(channel, push);
      return;
    }
    if (push.offset <= state.offset) return; // had it already
    if (push.offset === state.offset + 1) {
      state.offset = push.offset;
      this.sinks.deliver(channel, push);
      return;
    }
    const line = [push];
    state.waiting = line;
    const after = state.offset;
    this.sinks
      .fill(channel, state.epoch, after, push.offset)
      .catch((): GapFill => ({ ok: false, reason: 'limit' }))
      .then((fill) =>
        this.filled(channel, state, line, after, push.offset, fill),
      );
  }

  /** The fill of the gap between `after` and `before` came back; `line` is what waited behind it. */
  private filled(
    channel: string,
    state: ChannelState,
    line: StampedPush[],
    after: number,
    before: number,
    fill: GapFill,
  ): void {
    // Forgotten, or given up (overflow) meanwhile: the answer is stale.
    if (this.channels.get(channel) !== state || state.waiting !== line) return;
    state.waiting = undefined;
    // What is missing is told once, before anything after it goes out.
    let told = false;
    const tell = (reason: GapReason) => {
      if (told) return;
      told = true;
      this.sinks.gap(channel, state.epoch, reason);
    };
    if (fill.ok)
      for (const push of fill.pushes) {
        if (push.offset <= state.offset) continue;
        if (push.offset > state.offset + 1) tell('limit');
        state.offset = push.offset;
        this.sinks.deliver(channel, push);
      }
    if (state.offset < before - 1) {
      tell(fill.ok ? 'limit' : fill.reason);
      state.offset = before - 1;
    }
    for (let i = 0; i < line.length; i++) {
      // A push in the line may start another fill: the rest waits behind it.
      const again = state.waiting as StampedPush[] | undefined;
      if (again) {
        again.push(...line.slice(i));
        return;
      }
      this.next(channel, state, line[i]);
    }
  }

  private overflow(
    channel: string,
    state: ChannelState,
    push: StampedPush,
  ): void {
    // Too much behind a fill that does not come back: give the fill up, go on from the newest.
    state.waiting = undefined;
    this.sinks.gap(
      channel,
      push.epoch,
      push.epoch === state.epoch ? 'limit' : 'epoch',
    );
    state.epoch = push.epoch;
    state.offset = push.offset;
    this.sinks.deliver(channel, push);
  }
}
