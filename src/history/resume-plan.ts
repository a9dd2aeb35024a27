import type { Positions, ResumeFailure } from '../protocol/resume';
import type { ReplayedPush, ResumePlan } from '../registry/realtime-registry';
import type { HistoryEntry, Replay } from './channel-history';
import type { HistoryPosition } from './channel-histories';

/** What a registry knows of one of the view's channels when a connection resumes. */
export interface ResumeChannel {
  /** Where the view subscribed to it. */
  readonly recorded: HistoryPosition;
  /** The channel's position now. */
  readonly current: HistoryPosition;
}

/** The inputs of one resume (README "Delivery guarantees"), whatever the registry. */
export interface ResumeRequest {
  readonly channels: readonly string[];
  readonly since: Positions | undefined;
  /** Replay from the recorded positions where `since` says nothing (first connection, or channels just added). */
  readonly fromRecorded: boolean;
  /** Most messages replayed to the connection, all channels together. */
  readonly maxReplay: number;
}

/** A plan for a view the registry does not know: every presented channel fails with `unknown_view`. */
export function unknownViewPlan(since: Positions | undefined): ResumePlan {
  const failed: Record<string, ResumeFailure> = {};
  for (const channel in since) failed[channel] = 'unknown_view';
  return { epochs: {}, failed, replay: [], heads: {} };
}

/** Where a replay of `channel` starts: the presented position (offset 0: where the view subscribed), else the recorded one when asked. */
export function replayStart(
  request: ResumeRequest,
  channel: string,
  recorded: HistoryPosition,
): HistoryPosition | undefined {
  const presented = request.since?.[channel];
  if (presented) {
    const [epoch, offset] = presented;
    return offset === 0 && recorded.epoch === epoch
      ? recorded
      : { epoch, offset };
  }
  return request.fromRecorded ? recorded : undefined;
}

/**
 * What a connection is owed: per channel of the view, the epoch, and either the whole
 * run of messages after its start or the reason it cannot be had. Never partial: when
 * the runs together pass `maxReplay`, channels fail with `limit`, largest run first,
 * until the rest fits. Channels the view does not hold are left out.
 */
export function planResume(
  request: ResumeRequest,
  lookup: (channel: string) => ResumeChannel | undefined,
  replay: (channel: string, from: HistoryPosition, max: number) => Replay,
): ResumePlan {
  const epochs: Record<string, string> = {};
  const heads: Record<string, number> = {};
  const failed: Record<string, ResumeFailure> = {};
  const runs: Array<{
    channel: string;
    entries: readonly HistoryEntry[];
  }> = [];
  for (const channel of request.channels) {
    const known = lookup(channel);
    if (!known) continue;
    epochs[channel] = known.current.epoch;
    const from = replayStart(request, channel, known.recorded);
    // Without a start the connection asked for nothing: every live push is new to it.
    if (!from) continue;
    heads[channel] = known.current.offset;
    const result = replay(channel, from, request.maxReplay);
    if (!result.ok) failed[channel] = result.reason;
    else if (result.entries.length > 0)
      runs.push({ channel, entries: result.entries });
  }
  let total = 0;
  for (const run of runs) total += run.entries.length;
  if (total > request.maxReplay) {
    runs.sort((a, b) => b.entries.length - a.entries.length);
    while (total > request.maxReplay) {
      const largest = runs.shift() as (typeof runs)[number];
      failed[largest.channel] = 'limit';
      total -= largest.entries.length;
    }
  }
  const pushes: ReplayedPush[] = [];
  for (const run of runs)
    for (const entry of run.entries)
      pushes.push({
        channel: run.channel,
        offset: entry.offset,
        json: entry.json,
      });
  return { epochs, failed, replay: pushes, heads };
}
