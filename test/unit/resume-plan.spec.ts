import { describe, expect, it } from 'vitest';
import type { HistoryEntry, Replay } from '../../src/history/channel-history';
import type { HistoryPosition } from '../../src/history/channel-histories';
import {
  planResume,
  type ResumeChannel,
  unknownViewPlan,
} from '../../src/history/resume-plan';

// What a connection is owed, from what a registry knows: starts, never-partial runs,
// maxReplay largest-first, channels the view does not hold left out.

const entries = (channel: string, from: number, to: number): HistoryEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    offset: from + i,
    json: `"${channel}${from + i}"`,
    at: 0,
  }));

/** Channels at epoch E with `head` pushes, the view recorded at `recorded`. */
function registry(
  channels: Record<string, { head: number; recorded: number }>,
) {
  const asked: Array<[string, HistoryPosition, number]> = [];
  const lookup = (channel: string): ResumeChannel | undefined => {
    const c = channels[channel];
    return c
      ? {
          recorded: { epoch: 'E', offset: c.recorded },
          current: { epoch: 'E', offset: c.head },
        }
      : undefined;
  };
  const replay = (
    channel: string,
    from: HistoryPosition,
    max: number,
  ): Replay => {
    asked.push([channel, from, max]);
    if (from.epoch !== 'E') return { ok: false, reason: 'epoch' };
    const head = channels[channel].head;
    if (head - from.offset > max) return { ok: false, reason: 'limit' };
    return { ok: true, entries: entries(channel, from.offset + 1, head) };
  };
  return { lookup, replay, asked };
}

describe('planResume', () => {
  it('first connection without since: from the recorded positions; epochs and heads of every held channel; others left out', () => {
    const r = registry({
      a: { head: 3, recorded: 1 },
      b: { head: 0, recorded: 0 },
    });
    const plan = planResume(
      {
        channels: ['a', 'b', 'gone'],
        since: undefined,
        fromRecorded: true,
        maxReplay: 10,
      },
      r.lookup,
      r.replay,
    );
    expect(plan).toEqual({
      epochs: { a: 'E', b: 'E' },
      heads: { a: 3, b: 0 },
      failed: {},
      replay: [
        { channel: 'a', offset: 2, json: '"a2"' },
        { channel: 'a', offset: 3, json: '"a3"' },
      ],
    });
    expect(r.asked).toEqual([
      ['a', { epoch: 'E', offset: 1 }, 10],
      ['b', { epoch: 'E', offset: 0 }, 10],
    ]);
  });

  it('a later connection replays only what it presents; offset 0 is the recorded position of the same epoch', () => {
    const r = registry({
      a: { head: 5, recorded: 2 },
      b: { head: 4, recorded: 1 },
      c: { head: 2, recorded: 0 },
    });
    const plan = planResume(
      {
        channels: ['a', 'b', 'c'],
        since: { a: ['E', 4], b: ['E', 0], c: ['OTHER', 0] },
        fromRecorded: false,
        maxReplay: 10,
      },
      r.lookup,
      r.replay,
    );
    expect(r.asked).toEqual([
      ['a', { epoch: 'E', offset: 4 }, 10],
      ['b', { epoch: 'E', offset: 1 }, 10],
      ['c', { epoch: 'OTHER', offset: 0 }, 10],
    ]);
    expect(plan.failed).toEqual({ c: 'epoch' });
    expect(plan.replay.map((p) => `${p.channel}${p.offset}`)).toEqual([
      'a5',
      'b2',
      'b3',
      'b4',
    ]);
    // Nothing presented and not first: the epoch only.
    const quiet = planResume(
      { channels: ['a'], since: {}, fromRecorded: false, maxReplay: 10 },
      r.lookup,
      r.replay,
    );
    // No head either: a push that arrives while it resumes is new to it, whatever its offset.
    expect(quiet).toEqual({
      epochs: { a: 'E' },
      heads: {},
      failed: {},
      replay: [],
    });
  });

  it('past maxReplay in total, the largest runs fail with limit first until the rest fits; exactly maxReplay fits', () => {
    const r = registry({
      a: { head: 3, recorded: 0 },
      b: { head: 5, recorded: 0 },
      c: { head: 2, recorded: 0 },
    });
    const request = (maxReplay: number) =>
      planResume(
        {
          channels: ['a', 'b', 'c'],
          since: undefined,
          fromRecorded: true,
          maxReplay,
        },
        r.lookup,
        r.replay,
      );
    expect(request(10).failed).toEqual({});
    expect(request(10).replay).toHaveLength(10);
    const five = request(5);
    expect(five.failed).toEqual({ b: 'limit' });
    expect(five.replay.map((p) => p.channel)).toEqual([
      'a',
      'a',
      'a',
      'c',
      'c',
    ]);
    const two = request(2);
    // b (5) is over on its own; then a (3) goes, c (2) fits.
    expect(two.failed).toEqual({ a: 'limit', b: 'limit' });
    expect(two.replay.map((p) => p.channel)).toEqual(['c', 'c']);
    expect(request(0).failed).toEqual({ a: 'limit', b: 'limit', c: 'limit' });
  });

  it('an empty run replays nothing and fails nothing', () => {
    const r = registry({ a: { head: 2, recorded: 2 } });
    expect(
      planResume(
        { channels: ['a'], since: undefined, fromRecorded: true, maxReplay: 0 },
        r.lookup,
        r.replay,
      ),
    ).toEqual({ epochs: { a: 'E' }, heads: { a: 2 }, failed: {}, replay: [] });
  });
});

describe('unknownViewPlan', () => {
  it('fails every presented channel with unknown_view, and nothing else', () => {
    expect(unknownViewPlan({ a: ['E', 1], b: ['F', 0] })).toEqual({
      epochs: {},
      heads: {},
      failed: { a: 'unknown_view', b: 'unknown_view' },
      replay: [],
    });
    expect(unknownViewPlan(undefined)).toEqual({
      epochs: {},
      heads: {},
      failed: {},
      replay: [],
    });
  });
});
