import { describe, expect, it } from 'vitest';
import type { GapReason } from '../../src/history/channel-history';
import {
  type GapFill,
  MAX_WAITING,
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
  const answers: Array<(fill: GapFill) => void> = [];
  let mode: 'history' | 'manual' | 'fail' = 'history';
  const s = new PushSequence({
    deliver: (channel, push) =>
      delivered.push(`${channel}:${push.epoch}:${push.offset}`),
    fill: (_channel, epoch, after, before) => {
      fills.push([after, before]);
      if (mode === 'fail') return Promise.reject(new Error('down'));
      if (mode === 'manual')
        return new Promise<GapFill>((resolve) => answers.push(resolve));
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
    /** Answers the newest fill still open (or the `index`th asked). */
    answer: (fill: GapFill, index = answers.length - 1) => answers[index](fill),
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
    // At once, before its pub/sub copy, which then changes nothing.
    expect(t.delivered).toEqual(['c:E:3', 'c:E:4']);
    t.s.offer('c', at(4));
    expect(t.delivered).toEqual(['c:E:3', 'c:E:4']);
    t.s.forget('c');
    t.s.offerOwn('c', at(5));
    expect(t.delivered).toEqual(['c:E:3', 'c:E:4']);
    expect(t.s.delivered('c', 'E')).toBe(0);
  });

  it('a fill gives only what lies in the gap; what arrived meanwhile goes out sorted; a hole in the middle is told once', async () => {
    const t = sequence();
    t.manual();
    t.s.offer('c', at(1));
    t.s.offer('c', at(5));
    t.s.offer('c', at(7)); // out of order behind the fill
    t.s.offer('c', at(6));
    // The read has 3 (2 and 4 are gone) and also 5 and 6, which the line has too.
    t.answer({ ok: true, pushes: [at(1), at(3), at(5), at(6)] });
    await settle();
    expect(t.gaps).toEqual([['c', 'E', 'limit']]);
    expect(t.delivered).toEqual(['c:E:1', 'c:E:3', 'c:E:5', 'c:E:6', 'c:E:7']);
  });

  it('a push in the line that skips ahead again starts another fill, and the rest waits behind it', async () => {
    const t = sequence({ 2: '"m2"', 5: '"m5"' });
    t.manual();
    t.s.offer('c', at(1));
    t.s.offer('c', at(3));
    t.s.offer('c', at(6)); // needs 4 and 5
    t.s.offer('c', at(7));
    t.answer({ ok: true, pushes: [at(2)] });
    await settle();
    expect(t.fills).toEqual([
      [1, 3],
      [3, 6],
    ]);
    expect(t.delivered).toEqual(['c:E:1', 'c:E:2', 'c:E:3']);
    t.s.offer('c', at(8)); // still behind the second fill
    t.answer({ ok: true, pushes: [at(4), at(5)] });
    await settle();
    expect(t.delivered).toEqual([
      'c:E:1',
      'c:E:2',
      'c:E:3',
      'c:E:4',
      'c:E:5',
      'c:E:6',
      'c:E:7',
      'c:E:8',
    ]);
    expect(t.gaps).toEqual([]);
  });

  it('a channel forgotten during its fill ignores the answer', async () => {
    const t = sequence();
    t.manual();
    t.s.offer('c', at(1));
    t.s.offer('c', at(3));
    t.s.forget('c');
    t.answer({ ok: true, pushes: [at(2)] });
    await settle();
    expect(t.delivered).toEqual(['c:E:1']);
    expect(t.gaps).toEqual([]);
  });

  it(`past ${MAX_WAITING} pushes behind a fill that does not come back, the fill is given up: told (limit), and the sequence goes on from the newest`, async () => {
    const t = sequence();
    t.manual();
    t.s.offer('c', at(1));
    t.s.offer('c', at(3));
    for (let o = 4; o < 3 + MAX_WAITING; o++) t.s.offer('c', at(o));
    expect(t.delivered).toEqual(['c:E:1']);
    expect(t.gaps).toEqual([]);
    const newest = 3 + MAX_WAITING;
    t.s.offer('c', at(newest));
    expect(t.gaps).toEqual([['c', 'E', 'limit']]);
    expect(t.delivered).toEqual(['c:E:1', `c:E:${newest}`]);
    expect(t.s.delivered('c', 'E')).toBe(newest);
    t.s.offer('c', at(newest + 1));
    expect(t.delivered.at(-1)).toBe(`c:E:${newest + 1}`);
    // Another gap opens a new fill; the late answer of the given-up one changes nothing.
    t.s.offer('c', at(newest + 3));
    t.answer({ ok: true, pushes: [at(2)] }, 0);
    await settle();
    expect(t.delivered.at(-1)).toBe(`c:E:${newest + 1}`);
    const fills = t.fills.length;
    t.s.offer('c', at(newest + 4)); // waits behind the open fill: no other read
    expect(t.fills.length).toBe(fills);
    t.answer({ ok: true, pushes: [at(newest + 2)] });
    await settle();
    expect(t.delivered.slice(-3)).toEqual([
      `c:E:${newest + 2}`,
      `c:E:${newest + 3}`,
      `c:E:${newest + 4}`,
    ]);
    expect(t.gaps).toEqual([['c', 'E', 'limit']]);
  });

  it('a fill that comes back short (nothing read) is limit; a line with a new epoch behind the fill keeps its order', async () => {
    const t = sequence();
    t.manual();
    t.s.offer('c', at(1));
    t.s.offer('c', at(4));
    t.s.offer('c', at(5));
    t.s.offer('c', at(1, 'NEW'));
    t.answer({ ok: true, pushes: [] });
    await settle();
    expect(t.gaps).toEqual([
      ['c', 'E', 'limit'],
      ['c', 'NEW', 'epoch'],
    ]);
    expect(t.delivered).toEqual(['c:E:1', 'c:E:4', 'c:E:5', 'c:NEW:1']);
  });

  it('a fill given up for a push of a new epoch tells epoch', () => {
    const t = sequence();
    t.manual();
    t.s.offer('c', at(1));
    t.s.offer('c', at(3));
    for (let o = 4; o < 3 + MAX_WAITING; o++) t.s.offer('c', at(o));
    t.s.offer('c', at(1, 'NEW'));
    expect(t.gaps).toEqual([['c', 'NEW', 'epoch']]);
    expect(t.delivered).toEqual(['c:E:1', 'c:NEW:1']);
  });
});
