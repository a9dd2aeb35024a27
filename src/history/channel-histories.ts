import { randomBytes } from 'node:crypto';
import {
  ChannelHistory,
  type HistoryEntry,
  type HistoryLimits,
  type Replay,
} from './channel-history';

/** A channel's place in its history: its epoch and the newest offset stamped there. */
export interface HistoryPosition {
  readonly epoch: string;
  readonly offset: number;
}

/** A new epoch: random, short, URL-safe (it travels in `since`). */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}

/**
 * The histories of one process's channels (the memory registry's, README "No gap"): a
 * channel has one while at least one view subscribes to it, made with a fresh epoch
 * when its first subscriber comes and dropped with its last, so channels nobody is
 * subscribed to keep nothing and a lost history is always a new epoch.
 */
export class ChannelHistories {
  private readonly histories = new Map<
    string,
    { history: ChannelHistory; views: number }
  >();

  constructor(
    private readonly limits: HistoryLimits,
    private readonly makeEpoch: () => string = newEpoch,
  ) {}

  /** A view subscribed to `channel`: its position now (where a replay for it starts). */
  retain(channel: string): HistoryPosition {
    let entry = this.histories.get(channel);
    if (!entry) {
      entry = {
        history: new ChannelHistory(this.makeEpoch(), this.limits),
        views: 0,
      };
      this.histories.set(channel, entry);
    }
    entry.views++;
    return { epoch: entry.history.epoch, offset: entry.history.offset };
  }

  /** A view left `channel`; with its last view the history goes. */
  release(channel: string): void {
    const entry = this.histories.get(channel);
    if (!entry) return;
    if (--entry.views === 0) this.histories.delete(channel);
  }

  /** Stamps a push: its place on `channel`, or undefined when nobody subscribes to it. */
  stamp(
    channel: string,
    json: string,
    now: number,
  ): HistoryPosition | undefined {
    const history = this.histories.get(channel)?.history;
    if (!history) return undefined;
    return { epoch: history.epoch, offset: history.append(json, now) };
  }

  /** `RealtimeService.history()`: the channel's epoch, newest offset and kept messages. */
  read(
    channel: string,
    now: number,
    since: number | undefined,
    limit: number,
  ): { epoch: string | null; offset: number; entries: HistoryEntry[] } {
    const history = this.histories.get(channel)?.history;
    if (!history) return { epoch: null, offset: 0, entries: [] };
    return {
      epoch: history.epoch,
      offset: history.offset,
      entries: history.read(now, since, limit),
    };
  }

  /** The channel's position now, or undefined when it keeps no history. */
  position(channel: string): HistoryPosition | undefined {
    const history = this.histories.get(channel)?.history;
    return history
      ? { epoch: history.epoch, offset: history.offset }
      : undefined;
  }

  /** Everything after `from` on `channel`, whole, or why not (another epoch is `epoch`). */
  replay(
    channel: string,
    from: HistoryPosition,
    now: number,
    max: number,
  ): Replay {
    const history = this.histories.get(channel)?.history;
    if (!history || history.epoch !== from.epoch)
      return { ok: false, reason: 'epoch' };
    return history.replay(from.offset, now, max);
  }

  /** The channels that keep a history now (names, in no order). */
  channels(): IterableIterator<string> {
    return this.histories.keys();
  }
}
