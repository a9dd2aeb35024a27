import { ChannelPattern } from '../../channels';
import type { HistoryOptions } from '../../options';
import type { Positions } from '../../protocol/resume';
import {
  type HistoryPosition,
  newEpoch,
} from '../../history/channel-histories';
import {
  planResume,
  replayStart,
  unknownViewPlan,
  type ResumeRequest,
} from '../../history/resume-plan';
import type {
  RegistryHistory,
  ResumePlan,
  RetainedMessages,
} from '../realtime-registry';
import type { GapFill } from './push-sequence';
import type { RedisClient } from './redis-clients';
import { fail } from './redis-errors';
import {
  RedisHistoryStore,
  replayOf,
  type StoredHistory,
} from './redis-history-store';
import type { RedisNames } from './redis-names';
import { CHUNK } from './redis-scripts';
import type { RedisViewStore } from './redis-view-store';

/** `<epoch> <offset>`, as a view's positions HASH keeps it. */
function positionText(position: HistoryPosition): string {
  return `${position.epoch} ${position.offset}`;
}

function parsePosition(text: string | null): HistoryPosition | undefined {
  if (!text) return undefined;
  const space = text.indexOf(' ');
  return { epoch: text.slice(0, space), offset: Number(text.slice(space + 1)) };
}

/**
 * The Redis registry's channel histories (README "Delivery guarantees"): a view's
 * subscribe-time positions, resumes read from the channels' Streams with Redis's clock,
 * gap fills, `RealtimeService.history()`, and pushMatching's channels.
 */
export class RedisHistory implements RegistryHistory {
  readonly store: RedisHistoryStore;

  constructor(
    private readonly command: RedisClient,
    private readonly names: RedisNames,
    private readonly views: RedisViewStore,
    private readonly options: HistoryOptions,
    keyTtl: number,
    /** The newest offset of `channel` in `epoch` this instance handed on (PushSequence). */
    private readonly delivered: (channel: string, epoch: string) => number,
  ) {
    this.store = new RedisHistoryStore(command, names.prefix, {
      size: options.size,
      keyTtl,
    });
  }

  /**
   * Each channel's position now, made with a fresh epoch where it has none (a view
   * subscribes, or a holder keeps its channels' histories alive); the channels are
   * also listed for pushMatching.
   */
  async positions(channels: readonly string[]): Promise<string[]> {
    if (channels.length === 0) return [];
    // Both awaited together: a refusal of either is the caller's, never unhandled.
    const [positions] = await Promise.all([
      Promise.all(
        channels.map((channel) => this.store.ensure(channel, newEpoch())),
      ),
      this.listChannels(channels),
    ]);
    return positions.map(positionText);
  }

  async resume(
    digest: string,
    channels: readonly string[],
    since: Positions | undefined,
    added: boolean,
  ): Promise<ResumePlan> {
    const stored = await this.views.resume(digest, channels, added);
    if (!stored.known) return unknownViewPlan(since);
    const request: ResumeRequest = {
      channels,
      since,
      fromRecorded: added || stored.first,
      maxReplay: this.options.maxReplay,
    };
    const recorded = new Map<string, HistoryPosition>();
    channels.forEach((channel, i) => {
      const position = parsePosition(stored.positions[i] ?? null);
      if (position) recorded.set(channel, position);
    });
    const count = Math.min(this.options.maxReplay, this.options.size);
    const reads = new Map<string, StoredHistory>();
    await Promise.all(
      channels.map(async (channel) => {
        const at = recorded.get(channel);
        const from = at
          ? replayStart(request, channel, at)
          : since?.[channel] && {
              epoch: since[channel][0],
              offset: since[channel][1],
            };
        let read = await this.store.read(
          channel,
          from ? from.offset : 0,
          from ? count : 0,
        );
        if (read.epoch === null) {
          // The view holds it but its history is gone (Redis lost it): a new epoch from now.
          const made = await this.store.ensure(channel, newEpoch());
          read = {
            now: read.now,
            epoch: made.epoch,
            offset: made.offset,
            entries: [],
          };
        }
        reads.set(channel, read);
      }),
    );
    const plan = planResume(
      request,
      (channel) => {
        const read = reads.get(channel) as StoredHistory;
        const current = { epoch: read.epoch as string, offset: read.offset };
        return { recorded: recorded.get(channel) ?? current, current };
      },
      (channel, from, max) =>
        replayOf(
          reads.get(channel) as StoredHistory,
          from,
          this.options.ttl,
          max,
        ),
    );
    // Pub/sub copies of pushes the reads saw may not have reached this instance yet.
    const lagging: Record<string, number> = {};
    let late = false;
    for (const channel in plan.heads) {
      const head = plan.heads[channel];
      if (head > this.delivered(channel, plan.epochs[channel])) {
        lagging[channel] = head;
        late = true;
      }
    }
    return late ? { ...plan, lagging } : plan;
  }

  async read(
    channel: string,
    since: number | undefined,
    limit: number,
  ): Promise<RetainedMessages> {
    const read = await this.store.read(
      channel,
      since ?? '-',
      since === undefined ? limit : this.options.size,
    );
    const cutoff = read.now - this.options.ttl;
    const entries = read.entries.filter((entry) => entry.at >= cutoff);
    return {
      epoch: read.epoch,
      offset: read.offset,
      entries: since === undefined ? entries : entries.slice(0, limit),
    };
  }

  /** The pushes of `channel` strictly between offsets `after` and `before`, whole, or why not. */
  async fill(
    channel: string,
    epoch: string,
    after: number,
    before: number,
  ): Promise<GapFill> {
    const read = await this.store.read(
      channel,
      after,
      Math.min(before - after - 1, this.options.size),
    );
    const replay = replayOf(
      // Only the pushes up to `before` matter: the rest follow on pub/sub.
      { ...read, offset: Math.min(read.offset, before - 1) },
      { epoch, offset: after },
      this.options.ttl,
      this.options.size,
    );
    if (!replay.ok) return replay;
    return {
      ok: true,
      pushes: replay.entries.map((entry) => ({
        epoch,
        offset: entry.offset,
        json: entry.json,
      })),
    };
  }

  /** The channels with a history that `pattern` matches (pushMatching stamps each). */
  async matching(pattern: string): Promise<string[]> {
    const matcher = new ChannelPattern(pattern);
    const key = this.names.historyChannelsKey;
    const matched: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.command
        .zscan(key, cursor, 'COUNT', CHUNK)
        .catch(fail);
      // Members and scores in turn.
      for (let i = 0; i < batch.length; i += 2)
        if (matcher.matches(batch[i])) matched.push(batch[i]);
      cursor = next;
    } while (cursor !== '0');
    return matched;
  }

  /** A listed channel whose history is gone (its stamp found none) leaves the list. */
  unlist(channel: string): void {
    this.command
      .zrem(this.names.historyChannelsKey, channel)
      .catch(() => undefined);
  }

  private async listChannels(channels: readonly string[]): Promise<void> {
    const key = this.names.historyChannelsKey;
    for (let i = 0; i < channels.length; i += CHUNK)
      await this.store.list(key, channels.slice(i, i + CHUNK));
  }
}
