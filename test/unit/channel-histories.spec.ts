import { describe, expect, it } from 'vitest';
import {
  ChannelHistories,
  newEpoch,
} from '../../src/history/channel-histories';

const LIMITS = { size: 10, ttl: 60_000 };
const T0 = 5_000_000;

function histories(): ChannelHistories {
  let n = 0;
  return new ChannelHistories(LIMITS, () => `e${++n}`);
}

describe('ChannelHistories', () => {
  it('a channel keeps a history only while some view subscribes to it', () => {
    const h = histories();
    expect(h.stamp('chat', '1', T0)).toBeUndefined();
    expect(h.position('chat')).toBeUndefined();
    expect(h.retain('chat')).toEqual({ epoch: 'e1', offset: 0 });
    expect(h.stamp('chat', '1', T0)?.offset).toBe(1);
    expect(h.retain('chat')).toEqual({ epoch: 'e1', offset: 1 });
    h.release('chat');
    expect(h.stamp('chat', '2', T0)?.offset).toBe(2);
    h.release('chat');
    expect(h.position('chat')).toBeUndefined();
    expect([...h.channels()]).toEqual([]);
    // Released more than retained: nothing breaks, nothing comes back.
    h.release('chat');
    expect(h.position('chat')).toBeUndefined();
  });

  it('a history lost with its last view comes back as a new epoch, from offset 0', () => {
    const h = histories();
    const first = h.retain('chat');
    h.stamp('chat', '1', T0);
    h.release('chat');
    const second = h.retain('chat');
    expect(second).toEqual({ epoch: 'e2', offset: 0 });
    expect(second.epoch).not.toBe(first.epoch);
    // A client still at the old epoch cannot be replayed, even where the new epoch
    // has reached its offset (those are other messages).
    expect(h.replay('chat', { epoch: 'e1', offset: 1 }, T0, 100)).toEqual({
      ok: false,
      reason: 'epoch',
    });
    h.stamp('chat', '"x"', T0);
    h.stamp('chat', '"y"', T0);
    expect(h.replay('chat', { epoch: 'e1', offset: 1 }, T0, 100)).toEqual({
      ok: false,
      reason: 'epoch',
    });
  });

  it('replays what followed a subscriber position (the render gap)', () => {
    const h = histories();
    const at = h.retain('chat');
    h.stamp('chat', '"a"', T0);
    h.stamp('chat', '"b"', T0);
    const replay = h.replay('chat', at, T0 + 1, 100);
    expect(replay.ok && replay.entries.map((e) => e.json)).toEqual([
      '"a"',
      '"b"',
    ]);
    expect(h.position('chat')).toEqual({ epoch: 'e1', offset: 2 });
    // A channel without history: epoch.
    expect(h.replay('other', { epoch: 'e1', offset: 0 }, T0, 100)).toEqual({
      ok: false,
      reason: 'epoch',
    });
  });

  it('each channel counts its own offsets', () => {
    const h = histories();
    h.retain('a');
    h.retain('b');
    expect(h.stamp('a', '1', T0)?.offset).toBe(1);
    expect(h.stamp('a', '2', T0)?.offset).toBe(2);
    expect(h.stamp('b', '3', T0)?.offset).toBe(1);
    expect([...h.channels()].sort()).toEqual(['a', 'b']);
  });

  it('epochs are random, short and URL-safe', () => {
    const made = new Set(Array.from({ length: 200 }, () => newEpoch()));
    expect(made.size).toBe(200);
    for (const epoch of made) expect(epoch).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(new ChannelHistories(LIMITS).retain('x').epoch).toMatch(
      /^[A-Za-z0-9_-]{8}$/,
    );
  });
});
