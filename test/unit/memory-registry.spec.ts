import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RealtimeError } from '../../src/exceptions/realtime.error';
import { MemoryRegistry } from '../../src/registry/memory.registry';
import {
  REVOKED_TTL,
  type RegistryEvent,
} from '../../src/registry/realtime-registry';
import { TOO_MANY_CHANNELS } from '../../src/realtime.messages';

// SPEC §6.3: a never-connected view expires after pendingTtl, a disconnected one after
// reconnectGrace; §7 maxChannelsPerView: a subscribe past it applies nothing.

const PENDING_TTL = 5000;
const GRACE = 1000;

function registry(maxChannelsPerView = 100) {
  const r = new MemoryRegistry({
    pendingTtl: PENDING_TTL,
    reconnectGrace: GRACE,
    maxChannelsPerView,
  });
  const events: RegistryEvent[] = [];
  r.events$.subscribe((event) => events.push(event));
  return { r, events };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryRegistry: what it is', () => {
  it('is the memory registry, always ready', async () => {
    const { r } = registry();
    expect(r.kind).toBe('memory');
    expect(r.isReady()).toBe(true);
    r.listen();
    r.unlisten();
    expect(r.size).toBe(0);
    expect(r.channelsOf('d')).toBeUndefined();
    await r.close();
  });
});

describe('MemoryRegistry: pushes', () => {
  it('publish emits one push per channel, in order', async () => {
    const { r, events } = registry();
    await r.publish(['a', 'b'], '"x"');
    await r.publish([], '"y"');
    expect(events).toEqual([
      { type: 'push', channel: 'a', json: '"x"' },
      { type: 'push', channel: 'b', json: '"x"' },
    ]);
  });

  it('publishMatching emits one pushMatching per pattern', async () => {
    const { r, events } = registry();
    await r.publishMatching(['chat:*', 'news:*'], '1');
    await r.publishMatching([], '2');
    expect(events).toEqual([
      { type: 'pushMatching', pattern: 'chat:*', json: '1' },
      { type: 'pushMatching', pattern: 'news:*', json: '1' },
    ]);
  });

  it('sendTo emits one direct event', async () => {
    const { r, events } = registry();
    await r.sendTo('d1', 'inbox', '{"n":1}');
    expect(events).toEqual([
      { type: 'direct', digest: 'd1', channel: 'inbox', json: '{"n":1}' },
    ]);
  });
});

describe('MemoryRegistry: subscriptions', () => {
  it('stores distinct channels per view; a pending view emits nothing', async () => {
    const { r, events } = registry();
    await r.subscribe('d', ['a', 'b', 'a']);
    await r.subscribe('d', ['b', 'c']);
    await r.subscribe('e', ['x']);
    expect(r.channelsOf('d')).toEqual(['a', 'b', 'c']);
    expect(r.channelsOf('e')).toEqual(['x']);
    expect(r.size).toBe(2);
    expect(events).toEqual([]);
  });

  it('attach returns the view’s channels; later changes are emitted, only for what changed', async () => {
    const { r, events } = registry();
    await r.subscribe('d', ['a']);
    expect(await r.attach('d')).toEqual(['a']);
    await r.subscribe('d', ['a', 'b', 'c', 'b']);
    await r.subscribe('d', ['a']);
    await r.unsubscribe('d', ['a', 'zz']);
    await r.unsubscribe('d', ['zz']);
    expect(events).toEqual([
      { type: 'subscribe', digest: 'd', channels: ['b', 'c'] },
      { type: 'unsubscribe', digest: 'd', channels: ['a'] },
    ]);
    expect(r.channelsOf('d')).toEqual(['b', 'c']);
  });

  it('attach of an unknown view makes an empty live one', async () => {
    const { r, events } = registry();
    expect(await r.attach('new')).toEqual([]);
    expect(r.channelsOf('new')).toEqual([]);
    await r.subscribe('new', ['a']);
    expect(events).toEqual([
      { type: 'subscribe', digest: 'new', channels: ['a'] },
    ]);
  });

  it('unsubscribe of a pending view applies silently; of an unknown view does nothing', async () => {
    const { r, events } = registry();
    await r.subscribe('d', ['a', 'b']);
    await r.unsubscribe('d', ['a']);
    expect(r.channelsOf('d')).toEqual(['b']);
    await expect(r.unsubscribe('nobody', ['a'])).resolves.toBeUndefined();
    expect(r.size).toBe(1);
    expect(events).toEqual([]);
  });

  it('up to maxChannelsPerView distinct channels; past it too_many_channels and nothing applied', async () => {
    const { r, events } = registry(3);
    await r.subscribe('d', ['a', 'b']);
    await r.attach('d');
    // Re-subscribing held channels is free.
    await r.subscribe('d', ['a', 'b', 'c', 'a']);
    expect(r.channelsOf('d')).toEqual(['a', 'b', 'c']);
    const error = await r.subscribe('d', ['c', 'x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RealtimeError);
    expect((error as RealtimeError).code).toBe('too_many_channels');
    expect((error as RealtimeError).message).toBe(TOO_MANY_CHANNELS(3));
    expect(r.channelsOf('d')).toEqual(['a', 'b', 'c']);
    expect(events).toEqual([
      { type: 'subscribe', digest: 'd', channels: ['c'] },
    ]);
  });

  it('a refused subscribe of a new view leaves no view behind', async () => {
    const { r } = registry(2);
    await expect(r.subscribe('d', ['a', 'b', 'c'])).rejects.toThrow(
      TOO_MANY_CHANNELS(2),
    );
    expect(r.size).toBe(0);
    expect(r.channelsOf('d')).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    await r.subscribe('d', ['a', 'b']);
    expect(r.channelsOf('d')).toEqual(['a', 'b']);
  });
});

describe('MemoryRegistry: expiry (fake timers)', () => {
  it('a never-connected view expires after pendingTtl, not before', async () => {
    const { r } = registry();
    await r.subscribe('d', ['a']);
    vi.advanceTimersByTime(PENDING_TTL - 1);
    expect(r.channelsOf('d')).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(r.channelsOf('d')).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it('another subscribe of a pending view starts its pendingTtl again, with one timer', async () => {
    const { r } = registry();
    await r.subscribe('d', ['a']);
    vi.advanceTimersByTime(PENDING_TTL - 100);
    await r.subscribe('d', ['b']);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(200);
    expect(r.channelsOf('d')).toEqual(['a', 'b']);
    vi.advanceTimersByTime(PENDING_TTL - 200);
    expect(r.channelsOf('d')).toBeUndefined();
  });

  it('an attached view never expires and holds no timer', async () => {
    const { r } = registry();
    await r.subscribe('d', ['a']);
    await r.attach('d');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * PENDING_TTL);
    expect(r.channelsOf('d')).toEqual(['a']);
  });

  it('after the last detach the view keeps its channels for reconnectGrace, then expires', async () => {
    const { r } = registry();
    await r.subscribe('d', ['a']);
    await r.attach('d');
    await r.attach('d');
    r.detach('d');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * PENDING_TTL);
    expect(r.channelsOf('d')).toEqual(['a']);
    r.detach('d');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(GRACE - 1);
    expect(r.channelsOf('d')).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(r.channelsOf('d')).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it('a reconnect within reconnectGrace keeps the view: attach gives its channels back', async () => {
    const { r, events } = registry();
    await r.subscribe('d', ['a', 'b']);
    await r.attach('d');
    r.detach('d');
    vi.advanceTimersByTime(GRACE - 1);
    expect(await r.attach('d')).toEqual(['a', 'b']);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * GRACE);
    expect(r.channelsOf('d')).toEqual(['a', 'b']);
    await r.subscribe('d', ['c']);
    expect(events).toEqual([
      { type: 'subscribe', digest: 'd', channels: ['c'] },
    ]);
  });

  it('a pending view that connects and leaves gets reconnectGrace, not the rest of pendingTtl', async () => {
    const { r } = registry();
    await r.subscribe('d', ['a']);
    await r.attach('d');
    r.detach('d');
    vi.advanceTimersByTime(GRACE);
    expect(r.channelsOf('d')).toBeUndefined();
  });

  it('a view without channels is dropped at once when its last connection leaves', async () => {
    const { r } = registry();
    await r.attach('d');
    r.detach('d');
    expect(r.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await r.subscribe('e', ['a']);
    await r.attach('e');
    await r.unsubscribe('e', ['a']);
    r.detach('e');
    expect(r.size).toBe(0);
  });

  it('a detach too many (or of an unknown view) changes nothing', async () => {
    const { r, events } = registry();
    r.detach('nobody');
    expect(r.size).toBe(0);
    await r.subscribe('d', ['a']);
    r.detach('d');
    expect(r.channelsOf('d')).toEqual(['a']);
    await r.attach('d');
    r.detach('d');
    r.detach('d');
    await r.attach('d');
    // Live again: a subscribe is emitted and no expiry runs.
    await r.subscribe('d', ['b']);
    expect(events).toEqual([
      { type: 'subscribe', digest: 'd', channels: ['b'] },
    ]);
    vi.advanceTimersByTime(10 * PENDING_TTL);
    expect(r.channelsOf('d')).toEqual(['a', 'b']);
  });

  it('a pending view that was detached without attach still expires after pendingTtl', async () => {
    const { r } = registry();
    await r.subscribe('d', ['a']);
    r.detach('d');
    vi.advanceTimersByTime(PENDING_TTL - 1);
    expect(r.channelsOf('d')).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(r.channelsOf('d')).toBeUndefined();
  });
});

describe('MemoryRegistry: users and revocation (README "Revocation")', () => {
  it('revoke({ user }) takes every view identified as the user: counts live connections, emits revoke, drops the views', async () => {
    const { r, events } = registry();
    await r.subscribe('a1', ['room']);
    await r.identify('a1', 'alice', '{"n":1}');
    await r.identify('a2', 'alice', undefined); // identified before it subscribed
    await r.identify('b1', 'bob', undefined);
    await r.attach('a1');
    await r.attach('a1');
    expect(await r.revoke({ user: 'alice' }, 'bye')).toBe(2);
    // Presence has its own tests: here, alice's join when her view attached.
    expect(events.shift()).toMatchObject({ type: 'presence', change: 'join' });
    expect(events).toEqual([
      { type: 'revoke', digest: 'a1', reason: 'bye' },
      { type: 'revoke', digest: 'a2', reason: 'bye' },
    ]);
    expect(r.channelsOf('a1')).toBeUndefined();
    expect(r.channelsOf('b1')).toEqual([]);
    // Nothing of alice is left to revoke; bob is untouched.
    expect(await r.revoke({ user: 'alice' }, 'again')).toBe(0);
    expect(events).toHaveLength(2);
  });

  it('a revoked view is inert for REVOKED_TTL: attach, subscribe and identify reject with revoked; then it may be used again', async () => {
    const { r } = registry();
    await r.subscribe('d', ['room']);
    expect(await r.revoke({ digest: 'd' }, 'x')).toBe(0);
    for (const call of [
      () => r.attach('d'),
      () => r.subscribe('d', ['room']),
      () => r.identify('d', 'u', undefined),
    ])
      await expect(call()).rejects.toMatchObject({ code: 'revoked' });
    vi.advanceTimersByTime(REVOKED_TTL - 1);
    await expect(r.attach('d')).rejects.toMatchObject({ code: 'revoked' });
    vi.advanceTimersByTime(1);
    await expect(r.attach('d')).resolves.toEqual([]);
  });

  it('identifying a view again moves it to the new user; an identified view keeps its user through reconnectGrace, then leaves the index', async () => {
    const { r, events } = registry();
    await r.identify('v', 'alice', undefined);
    await r.identify('v', 'carol', undefined);
    expect(await r.revoke({ user: 'alice' }, 'x')).toBe(0);
    expect(events).toEqual([]);
    await r.attach('v');
    r.detach('v');
    vi.advanceTimersByTime(GRACE - 1);
    expect(r.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(r.size).toBe(0);
    expect(await r.revoke({ user: 'carol' }, 'x')).toBe(0);
    expect(events).toEqual([]);
  });

  it('revoking a view that does not exist marks it revoked and closes nothing', async () => {
    const { r, events } = registry();
    expect(await r.revoke({ digest: 'never' }, 'x')).toBe(0);
    expect(events).toEqual([]);
    await expect(r.attach('never')).rejects.toMatchObject({ code: 'revoked' });
  });

  it("one of a user's views expiring leaves the others in the index", async () => {
    const { r, events } = registry();
    await r.identify('old', 'ann', undefined);
    vi.advanceTimersByTime(PENDING_TTL / 2);
    await r.identify('new', 'ann', undefined);
    await r.attach('new');
    vi.advanceTimersByTime(PENDING_TTL / 2);
    expect(r.size).toBe(1);
    expect(await r.revoke({ user: 'ann' }, 'x')).toBe(1);
    expect(events).toEqual([{ type: 'revoke', digest: 'new', reason: 'x' }]);
  });

  it('a pending identified view expires after pendingTtl and leaves the index', async () => {
    const { r, events } = registry();
    await r.identify('p', 'pat', undefined);
    vi.advanceTimersByTime(PENDING_TTL);
    expect(r.size).toBe(0);
    expect(await r.revoke({ user: 'pat' }, 'x')).toBe(0);
    expect(events).toEqual([]);
  });
});

describe('MemoryRegistry: close', () => {
  it('drops every view and timer, and completes its event stream', async () => {
    const { r } = registry();
    let completed = false;
    r.events$.subscribe({ complete: () => (completed = true) });
    await r.subscribe('d', ['a']);
    await r.subscribe('e', ['b']);
    await r.attach('f');
    expect(vi.getTimerCount()).toBe(2);
    await r.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(r.size).toBe(0);
    expect(r.channelsOf('d')).toBeUndefined();
    expect(completed).toBe(true);
  });
});

describe('MemoryRegistry with history', () => {
  function historyRegistry(size = 10, maxReplay = 100) {
    const r = new MemoryRegistry({
      pendingTtl: PENDING_TTL,
      reconnectGrace: GRACE,
      maxChannelsPerView: 100,
      history: { size, ttl: 60_000, maxReplay },
    });
    const events: RegistryEvent[] = [];
    r.events$.subscribe((event) => events.push(event));
    return { r, events, h: r.history as NonNullable<typeof r.history> };
  }

  it('has no history member with history off', () => {
    expect(registry().r.history).toBeUndefined();
  });

  it('stamps pushes of subscribed channels only; unsubscribing the last view drops the history (a new epoch next time)', async () => {
    const { r, events, h } = historyRegistry();
    await r.publish(['c'], '0');
    expect(events.at(-1)).toEqual({
      type: 'push',
      channel: 'c',
      json: '0',
      epoch: undefined,
      offset: undefined,
    });
    await r.subscribe('d', ['c']);
    await r.publish(['c'], '1');
    const first = events.at(-1) as { epoch: string; offset: number };
    expect(first).toMatchObject({ type: 'push', channel: 'c', offset: 1 });
    expect(await h.read('c', undefined, 10)).toEqual({
      epoch: first.epoch,
      offset: 1,
      entries: [{ offset: 1, json: '1', at: expect.any(Number) }],
    });
    await r.unsubscribe('d', ['c']);
    expect(await h.read('c', undefined, 10)).toEqual({
      epoch: null,
      offset: 0,
      entries: [],
    });
    await r.subscribe('d', ['c']);
    await r.publish(['c'], '2');
    const again = events.at(-1) as { epoch: string; offset: number };
    expect(again.offset).toBe(1);
    expect(again.epoch).not.toBe(first.epoch);
  });

  it('pushMatching: a stamped push per subscribed match, then the pattern event naming them', async () => {
    const { r, events } = historyRegistry();
    await r.subscribe('d', ['room:a', 'room:b', 'other']);
    await r.publishMatching(['room:*'], '"x"');
    expect(events.slice(-3)).toEqual([
      expect.objectContaining({ type: 'push', channel: 'room:a', offset: 1 }),
      expect.objectContaining({ type: 'push', channel: 'room:b', offset: 1 }),
      {
        type: 'pushMatching',
        pattern: 'room:*',
        json: '"x"',
        stamped: ['room:a', 'room:b'],
      },
    ]);
  });

  it('resume: the first connection from the recorded positions, later ones only what they present, added channels from theirs; an unknown view is unknown_view', async () => {
    const { r, h } = historyRegistry();
    await r.subscribe('d', ['c']);
    await r.publish(['c'], '1');
    await r.attach('d');
    const first = await h.resume('d', ['c'], undefined, false);
    expect(first.replay).toEqual([{ channel: 'c', offset: 1, json: '1' }]);
    expect(first.heads).toEqual({ c: 1 });
    const later = await h.resume('d', ['c'], undefined, false);
    expect(later.replay).toEqual([]);
    expect(later.epochs).toEqual(first.epochs);
    await r.subscribe('d', ['n']);
    await r.publish(['n'], '2');
    expect((await h.resume('d', ['n'], undefined, true)).replay).toEqual([
      { channel: 'n', offset: 1, json: '2' },
    ]);
    await r.publish(['c'], '3');
    const presented = await h.resume(
      'd',
      ['c'],
      { c: [first.epochs.c, 1] },
      false,
    );
    expect(presented.replay).toEqual([{ channel: 'c', offset: 2, json: '3' }]);
    // A view made by a connection alone, and one never seen, are unknown.
    await r.attach('fresh');
    for (const digest of ['fresh', 'never'])
      expect(await h.resume(digest, [], { c: ['e', 1] }, false)).toEqual({
        epochs: {},
        failed: { c: 'unknown_view' },
        replay: [],
        heads: {},
      });
  });

  it('an expired view lets go of its channels: their histories go with the last one', async () => {
    const { r, h } = historyRegistry();
    await r.subscribe('d1', ['c']);
    await r.subscribe('d2', ['c']);
    await r.publish(['c'], '1');
    await r.attach('d1');
    r.detach('d1');
    vi.advanceTimersByTime(GRACE + 1);
    expect((await h.read('c', undefined, 10)).offset).toBe(1);
    vi.advanceTimersByTime(PENDING_TTL);
    expect(r.size).toBe(0);
    expect((await h.read('c', undefined, 10)).epoch).toBeNull();
  });

  it('a resume of added channels does not use up the first connection; channels the view does not hold are left out', async () => {
    const { r, h } = historyRegistry();
    await r.subscribe('d', ['c']);
    await r.publish(['c'], '1');
    await r.attach('d');
    expect((await h.resume('d', ['c'], undefined, true)).replay).toHaveLength(
      1,
    );
    const first = await h.resume(
      'd',
      ['c', 'notmine'],
      { notmine: ['e', 1] },
      false,
    );
    expect(first.replay).toEqual([{ channel: 'c', offset: 1, json: '1' }]);
    expect(first.epochs).toEqual({ c: expect.any(String) });
    expect(first.failed).toEqual({});
  });
});
