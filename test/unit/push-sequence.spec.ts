import { describe, expect, it } from 'vitest';
import type { GapReason } from '../../src/history/channel-history';
import {
  type GapFill,
  PushSequence,
  type StampedPush,
} from '../../src/registry/redis/push-sequence';

// Each instance hands a channel's stamped pushes on once and in offset order, however
// they came (the publisher's reply, pub/sub), filling a gap from the history or
// reporting it. The history here is a list the test controls.

const at = (offset: number, epoch = 'E'): StampedPush => ({
  epoch,
  offset,
  json: `"m${offset}"`,
});

function sequence(history: Record<number, string> = {}) {
  const delivered: string[] = [];
  const gaps: Array<[string, string, GapReason]> = [];
  const fills: Array<[number, number]> = [];
  let answer: (fill: GapFill) => void = () => undefined;
  let mode: 'history' | 'manual' | 'fail' = 'history';
  const s = new PushSequence({
    deliver: (channel, push) =>
      delivered.push(`${channel}:${push.epoch}:${push.offset}`),
    fill: (_channel, epoch, after, before) => {
      fills.push([after, before]);
      if (mode === 'fail') return Promise.reject(new Error('down'));
      if (mode === 'manual')
        return new Promise<GapFill>((resolve) => (answer = resolve));
      const pushes: StampedPush[] = [];
      for (let o = after + 1; o < before; o++)
        if (history[o] !== undefined)
          pushes.push({ epoch, offset: o, json: history[o] });
      return Promise.resolve({ ok: true, pushes });
    },
    gap: (channel, epoch, reason) => gaps.push([channel, epoch, reason]),
  });
  return {
    s,
    delivered,
    gaps,
    fills,
    manual: () => (mode = 'manual'),
    failing: () => (mode = 'fail'),
    answer: (fill: GapFill) => answer(fill),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PushSequence', () => {
  it('in order once: the first push sets where the channel is; a push seen again is dropped', () => {
    const t = sequence();
    t.s.offer('c', at(4));
    t.s.offer('c', at(5));
    t.s.offer('c', at(5));
    t.s.offer('c', at(3));
    t.s.offer('d', at(1));
    expect(t.delivered).toEqual(['c:E:4', 'c:E:5', 'd:E:1']);
    expect(t.s.delivered('c', 'E')).toBe(5);
    expect(t.s.delivered('c', 'OTHER')).toBe(0);
    expect(t.fills).toEqual([]);
  });

  it('a push that skips ahead waits while the missing ones are read, then all go out in order', async () => {
    const t = sequence({ 2: '"m2"', 3: '"m3"' });
    t.s.offer('c', at(1));
    t.s.offer('c', at(4));
    t.s.offer('c', at(5)); // arrives during the fill: waits behind it
    expect(t.delivered).toEqual(['c:E:1']);
    await settle();
    expect(t.fills).toEqual([[1, 4]]);
    expect(t.delivered).toEqual(['c:E:1', 'c:E:2', 'c:E:3', 'c:E:4', 'c:E:5']);
    expect(t.gaps).toEqual([]);
  });

  it('what the history no longer has is reported (limit) and the sequence goes on from the push that showed it', async () => {
    const t = sequence({ 3: '"m3"' });
    t.s.offer('c', at(1));
    t.s.offer('c', at(4));
    await settle();
    expect(t.gaps).toEqual([['c', 'E', 'limit']]);
    expect(t.delivered).toEqual(['c:E:1', 'c:E:3', 'c:E:4']);
    t.s.offer('c', at(5));
    expect(t.delivered.at(-1)).toBe('c:E:5');
  });

  it('a fill that says why it cannot (expired) passes the reason on; a fill that fails is limit', async () => {
    const t = sequence();
    t.manual();
    t.s.offer('c', at(1));
    t.s.offer('c', at(3));
    t.answer({ ok: false, reason: 'expired' });
    await settle();
    expect(t.gaps).toEqual([['c', 'E', 'expired']]);
    t.failing();
    t.s.offer('c', at(6));
    await settle();
    await settle();
    expect(t.gaps.at(-1)).toEqual(['c', 'E', 'limit']);
    expect(t.delivered).toEqual(['c:E:1', 'c:E:3', 'c:E:6']);
  });

  it('a push caught up with during the fill (its pub/sub copy came) is not given twice', async () => {
    const t = sequence();
    t.manual();
    t.s.offer('c', at(1));
    t.s.offer('c', at(3));
    t.s.offer('c', at(2)); // the missing one arrives by itself meanwhile
    t.answer({ ok: true, pushes: [at(2)] });
    await settle();
    expect(t.delivered).toEqual(['c:E:1', 'c:E:2', 'c:E:3']);
    expect(t.gaps).toEqual([]);
  });

  it('a new epoch is a gap (epoch) and starts the count again', () => {
    const t = sequence();
    t.s.offer('c', at(7));
    t.s.offer('c', at(1, 'NEW'));
    t.s.offer('c', at(2, 'NEW'));
    expect(t.gaps).toEqual([['c', 'NEW', 'epoch']]);
    expect(t.delivered).toEqual(['c:E:7', 'c:NEW:1', 'c:NEW:2']);
  });

  it("the publisher's own reply counts only once the channel has a baseline; forget() drops it", () => {
    const t = sequence();
    t.s.offerOwn('c', at(3));
    expect(t.delivered).toEqual([]);
    t.s.offer('c', at(3));
    t.s.offerOwn('c', at(4));
    t.s.offer('c', at(4)); // its pub/sub copy
    expect(t.delivered).toEqual(['c:E:3', 'c:E:4']);
    t.s.forget('c');
    t.s.offerOwn('c', at(5));
    expect(t.delivered).toEqual(['c:E:3', 'c:E:4']);
    expect(t.s.delivered('c', 'E')).toBe(0);
  });
});
