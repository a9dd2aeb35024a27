import { describe, expect, it } from 'vitest';
import { ChannelHistory } from '../../src/history/channel-history';

const T0 = 1_000_000;

function filled(n: number, limits = { size: 5, ttl: 10_000 }): ChannelHistory {
  const history = new ChannelHistory('e1', limits);
  for (let i = 1; i <= n; i++) history.append(`{"n":${i}}`, T0 + i);
  return history;
}

const offsets = (entries: readonly { offset: number }[]) =>
  entries.map((entry) => entry.offset);

describe('ChannelHistory', () => {
  it('stamps offsets from 1, one more per push', () => {
    const history = new ChannelHistory('e1', { size: 3, ttl: 1000 });
    expect(history.offset).toBe(0);
    expect(history.append('"a"', T0)).toBe(1);
    expect(history.append('"b"', T0)).toBe(2);
    expect(history.offset).toBe(2);
    expect(history.epoch).toBe('e1');
  });

  it('replays exactly what follows a position, oldest first', () => {
    const history = filled(4);
    const replay = history.replay(1, T0 + 10, 1000);
    expect(replay.ok).toBe(true);
    if (replay.ok) {
      expect(offsets(replay.entries)).toEqual([2, 3, 4]);
      expect(replay.entries[0].json).toBe('{"n":2}');
    }
    expect(history.replay(4, T0 + 10, 1000)).toEqual({ ok: true, entries: [] });
    expect(history.replay(0, T0 + 10, 1000)).toMatchObject({ ok: true });
  });

  it('keeps the last `size` in a ring; a gap reaching a dropped one is "limit", never partial', () => {
    const history = filled(8); // keeps 4..8
    expect(history.replay(3, T0 + 10, 1000)).toMatchObject({ ok: true });
    const whole = history.replay(3, T0 + 10, 1000);
    if (whole.ok) expect(offsets(whole.entries)).toEqual([4, 5, 6, 7, 8]);
    expect(history.replay(2, T0 + 10, 1000)).toEqual({
      ok: false,
      reason: 'limit',
    });
    expect(history.replay(0, T0 + 10, 1000)).toEqual({
      ok: false,
      reason: 'limit',
    });
  });

  it('more missed than maxReplay is "limit"', () => {
    const history = filled(5);
    expect(history.replay(0, T0 + 10, 4)).toEqual({
      ok: false,
      reason: 'limit',
    });
    expect(history.replay(1, T0 + 10, 4)).toMatchObject({ ok: true });
  });

  it('a gap reaching messages dropped by age only is "expired"', () => {
    const history = new ChannelHistory('e1', { size: 10, ttl: 100 });
    history.append('1', T0);
    history.append('2', T0 + 50);
    history.append('3', T0 + 150);
    // At T0 + 140, offset 1 is older than the ttl; 2 is not.
    expect(history.replay(0, T0 + 140, 1000)).toEqual({
      ok: false,
      reason: 'expired',
    });
    const kept = history.replay(1, T0 + 140, 1000);
    expect(kept.ok && offsets(kept.entries)).toEqual([2, 3]);
    // Everything expired, nothing missed: still whole.
    expect(history.replay(3, T0 + 10_000, 1000)).toEqual({
      ok: true,
      entries: [],
    });
  });

  it('with every message expired, a missed one is "expired" (never an empty replay)', () => {
    const history = new ChannelHistory('e1', { size: 10, ttl: 100 });
    history.append('1', T0);
    history.append('2', T0);
    expect(history.replay(1, T0 + 1000, 1000)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(history.replay(0, T0 + 1000, 1000)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('a message is kept for exactly ttl ms', () => {
    const history = new ChannelHistory('e1', { size: 10, ttl: 100 });
    history.append('1', T0);
    const atTtl = history.replay(0, T0 + 100, 1000);
    expect(atTtl.ok && offsets(atTtl.entries)).toEqual([1]);
    expect(history.replay(0, T0 + 101, 1000)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('a position this epoch never reached is "epoch"', () => {
    const history = filled(3);
    expect(history.replay(4, T0, 1000)).toEqual({ ok: false, reason: 'epoch' });
    expect(history.replay(-1, T0, 1000)).toEqual({
      ok: false,
      reason: 'epoch',
    });
    expect(history.replay(1.5, T0, 1000)).toEqual({
      ok: false,
      reason: 'epoch',
    });
  });

  it('size 0 keeps nothing: any missed message is "limit"', () => {
    const history = new ChannelHistory('e1', { size: 0, ttl: 1000 });
    history.append('1', T0);
    expect(history.replay(0, T0, 1000)).toEqual({ ok: false, reason: 'limit' });
    expect(history.replay(1, T0, 1000)).toEqual({ ok: true, entries: [] });
    expect(history.read(T0, undefined, 10)).toEqual([]);
  });

  it('read: the newest `limit` without since, or what follows since (oldest first), at most `limit`', () => {
    const history = filled(7); // keeps 3..7
    expect(offsets(history.read(T0 + 10, undefined, 2))).toEqual([6, 7]);
    expect(offsets(history.read(T0 + 10, undefined, 100))).toEqual([
      3, 4, 5, 6, 7,
    ]);
    expect(offsets(history.read(T0 + 10, 4, 2))).toEqual([5, 6]);
    expect(offsets(history.read(T0 + 10, 7, 2))).toEqual([]);
    // Expired entries are not read.
    expect(history.read(T0 + 100_000, undefined, 10)).toEqual([]);
  });
});
