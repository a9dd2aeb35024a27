import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseStamped,
  RedisHistoryStore,
  replayOf,
} from '../src/registry/redis/redis-history-store';
import {
  type RedisProcess,
  redisAvailable,
  startRedis,
} from './support/redis-server';

// The Redis side of channel histories against a real redis-server (not wired into the
// registry yet, issue #14): epochs, one script that stamps, keeps and publishes, reads
// and the reasons a replay cannot be whole.

const hasRedis = redisAvailable();

describe.skipIf(!hasRedis)('RedisHistoryStore (real redis-server)', () => {
  let redis: RedisProcess;
  let command: Redis;
  let subscriber: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    command = new Redis(redis.url);
    subscriber = new Redis(redis.url);
  });
  afterAll(async () => {
    command?.disconnect();
    subscriber?.disconnect();
    await redis?.stop();
  });

  const store = (size = 3) =>
    new RedisHistoryStore(command, 'hist:', { size, keyTtl: 60_000 });

  it('keys share the channel hash tag under the prefix', () => {
    expect(store().keys('room:{x}')).toEqual([
      'hist:{h:room:{x}}:m',
      'hist:{h:room:{x}}:s',
    ]);
  });

  it('stamps offsets from 1 in the epoch made by the first subscriber, publishes them in order, and keeps the last size', async () => {
    const s = store(3);
    const heard: string[] = [];
    await subscriber.subscribe('hist:c:a', 'hist:c:none');
    const allHeard = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`heard ${heard.length} of 6 messages in 5 s`)),
        5_000,
      );
      subscriber.on('message', (_channel, message) => {
        heard.push(message);
        if (heard.length === 6) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(await s.ensure('a', 'E1')).toEqual({ epoch: 'E1', offset: 0 });
    // A second subscriber keeps the epoch.
    expect(await s.ensure('a', 'OTHER')).toEqual({ epoch: 'E1', offset: 0 });
    for (let n = 1; n <= 4; n++)
      expect(await s.stamp('a', `{"n":${n}}`, 'hist:c:a', false)).toEqual({
        epoch: 'E1',
        offset: n,
      });
    // Nobody subscribed to `none`: no history, published unstamped.
    expect(await s.stamp('none', '"x"', 'hist:c:none', false)).toBeUndefined();
    expect(await command.exists(...store().keys('none'))).toBe(0);
    await s.stamp('a', '{"n":5}', 'hist:c:a', false);
    await allHeard;
    expect(heard.map(parseStamped)).toEqual([
      { epoch: 'E1', offset: 1, json: '{"n":1}' },
      { epoch: 'E1', offset: 2, json: '{"n":2}' },
      { epoch: 'E1', offset: 3, json: '{"n":3}' },
      { epoch: 'E1', offset: 4, json: '{"n":4}' },
      { epoch: undefined, offset: undefined, json: '"x"' },
      { epoch: 'E1', offset: 5, json: '{"n":5}' },
    ]);
    const read = await s.read('a', 0, 10);
    expect(read.epoch).toBe('E1');
    expect(read.offset).toBe(5);
    expect(read.entries.map((e) => [e.offset, e.json])).toEqual([
      [3, '{"n":3}'],
      [4, '{"n":4}'],
      [5, '{"n":5}'],
    ]);
    expect(Math.abs(read.now - Date.now())).toBeLessThan(5_000);
    // Replays: whole when kept, limit when dropped by size or past max, epoch otherwise.
    const at = (offset: number, epoch = 'E1') => ({ epoch, offset });
    expect(replayOf(await s.read('a', 2, 10), at(2), 60_000, 10)).toMatchObject(
      {
        ok: true,
        entries: [{ offset: 3 }, { offset: 4 }, { offset: 5 }],
      },
    );
    expect(replayOf(await s.read('a', 1, 10), at(1), 60_000, 10)).toEqual({
      ok: false,
      reason: 'limit',
    });
    expect(replayOf(await s.read('a', 2, 10), at(2), 60_000, 2)).toEqual({
      ok: false,
      reason: 'limit',
    });
    expect(replayOf(await s.read('a', 5, 10), at(5), 60_000, 10)).toEqual({
      ok: true,
      entries: [],
    });
    expect(replayOf(await s.read('a', 6, 10), at(6), 60_000, 10)).toEqual({
      ok: false,
      reason: 'epoch',
    });
    expect(replayOf(await s.read('a', 4, 10), at(4, 'E0'), 60_000, 10)).toEqual(
      {
        ok: false,
        reason: 'epoch',
      },
    );
  });

  it('a message older than ttl is expired; a lost history is a new epoch', async () => {
    const s = store(10);
    await s.ensure('t', 'E1');
    await s.stamp('t', '1', 'hist:c:t', false);
    const read = await s.read('t', 0, 10);
    // The same read, judged 1 ms past the message's ttl.
    const later = { ...read, now: read.entries[0].at + 1001 };
    expect(replayOf(later, { epoch: 'E1', offset: 0 }, 1000, 10)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(replayOf(read, { epoch: 'E1', offset: 0 }, 1000, 10).ok).toBe(true);
    await command.del(...s.keys('t'));
    expect(await s.ensure('t', 'E2')).toEqual({ epoch: 'E2', offset: 0 });
    expect(
      replayOf(await s.read('t', 1, 10), { epoch: 'E1', offset: 1 }, 1000, 10),
    ).toEqual({
      ok: false,
      reason: 'epoch',
    });
    const none = await s.read('never', 0, 10);
    expect(none).toMatchObject({ epoch: null, offset: 0, entries: [] });
  });
});
