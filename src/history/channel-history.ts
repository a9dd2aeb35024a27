/** One retained push: its offset in the channel's epoch, its JSON, and when it was stamped. */
export interface HistoryEntry {
  readonly offset: number;
  readonly json: string;
  readonly at: number;
}

/** Why a channel's missed messages cannot be replayed whole (README "No gap"). */
export type GapReason = 'limit' | 'expired' | 'epoch';

/** The messages after a position, whole, or why they cannot be. */
export type Replay =
  | { readonly ok: true; readonly entries: readonly HistoryEntry[] }
  | { readonly ok: false; readonly reason: GapReason };

export interface HistoryLimits {
  /** Messages kept per channel. */
  readonly size: number;
  /** How long a message is kept, in ms. */
  readonly ttl: number;
}

/**
 * The recent pushes of one channel in one epoch: offsets count from 1 (0 = nothing
 * pushed yet); the last `size` are kept for `ttl` ms, in a ring. Knows which offsets it
 * dropped by size and which by age, so a gap it cannot fill says which it was.
 */
export class ChannelHistory {
  /** The newest offset stamped (0 before the first push). */
  offset = 0;
  private readonly ring: (HistoryEntry | undefined)[];
  /** Index in `ring` of the oldest kept entry, and how many are kept. */
  private head = 0;
  private count = 0;
  /** The highest offset dropped because the ring was full (0: none). */
  private droppedBySize = 0;

  constructor(
    readonly epoch: string,
    private readonly limits: HistoryLimits,
  ) {
    this.ring = new Array<HistoryEntry | undefined>(limits.size);
  }

  /** Stamps the next offset on `json` and keeps it; returns the offset. */
  append(json: string, now: number): number {
    const offset = ++this.offset;
    const size = this.limits.size;
    if (size === 0) {
      this.droppedBySize = offset;
      return offset;
    }
    if (this.count === size) {
      this.droppedBySize = (this.ring[this.head] as HistoryEntry).offset;
      this.head = (this.head + 1) % size;
      this.count--;
    }
    this.ring[(this.head + this.count) % size] = { offset, json, at: now };
    this.count++;
    return offset;
  }

  /**
   * Everything after `since`, oldest first, when it is all still kept and at most `max`
   * messages; otherwise why not: `limit` (dropped by size, or more than `max`),
   * `expired` (dropped by age only), `epoch` (a position this epoch never reached).
   */
  replay(since: number, now: number, max: number): Replay {
    if (!Number.isInteger(since) || since < 0 || since > this.offset)
      return { ok: false, reason: 'epoch' };
    if (since === this.offset) return { ok: true, entries: [] };
    if (this.offset - since > max) return { ok: false, reason: 'limit' };
    if (since < this.droppedBySize) return { ok: false, reason: 'limit' };
    this.expire(now);
    const oldest = this.count > 0 ? this.at(0).offset : this.offset + 1;
    if (oldest > since + 1) return { ok: false, reason: 'expired' };
    return { ok: true, entries: this.from(since) };
  }

  /** What `RealtimeService.history()` returns: after `since` (oldest first) or the newest, at most `limit`. */
  read(now: number, since: number | undefined, limit: number): HistoryEntry[] {
    this.expire(now);
    if (since === undefined) {
      const all = this.from(0);
      return all.slice(Math.max(0, all.length - limit));
    }
    return this.from(since).slice(0, limit);
  }

  /** Drops entries older than ttl (oldest first: the ring is in stamp order). */
  private expire(now: number): void {
    const size = this.limits.size;
    const cutoff = now - this.limits.ttl;
    while (this.count > 0 && this.at(0).at < cutoff) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % size;
      this.count--;
    }
  }

  private at(index: number): HistoryEntry {
    return this.ring[(this.head + index) % this.limits.size] as HistoryEntry;
  }

  /** Kept entries with an offset above `since`. */
  private from(since: number): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let i = 0; i < this.count; i++) {
      const entry = this.at(i);
      if (entry.offset > since) out.push(entry);
    }
    return out;
  }
}
