import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeModuleOptions } from '../src';
import { registriesReady, startApp, type TestApp } from './support/app';
import { frames, open, push, render } from './support/history-views';
import {
  redisAvailable,
  startRedis,
  type RedisProcess,
} from './support/redis-server';
import { startProxy, type TcpProxy } from './support/tcp-proxy';
import type { TestClient } from './support/ws-client';

// README "Delivery guarantees" on the Redis registry, across instances: the render gap,
// reconnects to another instance with `since`, the reasons a channel cannot be
// recovered, a pub/sub message lost on the way (filled from the Stream, or told), Redis
// restarted without its data, wildcard stamping, `history()`, and a property test over
// random pushes, drops and reconnects on two instances. Frames keep their offsets.

const SECRET = 'a-fixed-secret-for-the-redis-history-tests-0123';

function options(
  url: string,
  prefix: string,
  extra: RealtimeModuleOptions = {},
): RealtimeModuleOptions {
  return {
    registry: 'redis',
    redis: url,
    secret: SECRET,
    keyPrefix: prefix,
    ...extra,
  };
}

describe.skipIf(!redisAvailable())(
  'history on Redis: two instances on one redis-server',
  () => {
    let redis: RedisProcess;
    let a: TestApp;
    let b: TestApp;
    const clients: TestClient[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      a = await startApp(options(redis.url, 'hx:'));
      b = await startApp(options(redis.url, 'hx:'));
      await registriesReady([a, b]);
    }, 30_000);
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await redis?.stop();
    });

    const track = (client: TestClient) => (clients.push(client), client);

    it('render gap: pushes made after subscribe() on A, before the socket opens on B, all arrive there first, in order', async () => {
      const view = await render(a, 'rg');
      for (let i = 1; i <= 5; i++) await a.realtime.push(i, 'rg');
      const client = track(await open(b, view));
      expect(await client.resume()).toEqual({
        recovered: true,
        replayed: 5,
        epoch: { rg: expect.any(String) },
        failed: {},
      });
      expect(client.framesBefore).toEqual([0]);
      await b.realtime.push(6, 'rg');
      expect(await frames(client, 6)).toEqual(
        [1, 2, 3, 4, 5, 6].map((n) => push('rg', n, n)),
      );
    });

    it('reconnect to the other instance with since: what was missed replays there, then live', async () => {
      const view = await render(a, 'rc');
      const first = await open(a, view);
      await first.resume();
      await b.realtime.push('one', 'rc');
      expect(await first.next()).toEqual(push('rc', 'one', 1));
      const since = first.positions;
      await first.close();
      for (const n of ['two', 'three']) await a.realtime.push(n, 'rc');
      const again = track(await open(b, view, since));
      expect(await again.resume()).toMatchObject({
        recovered: true,
        replayed: 2,
      });
      await a.realtime.push('four', 'rc');
      expect(await frames(again, 3)).toEqual([
        push('rc', 'two', 2),
        push('rc', 'three', 3),
        push('rc', 'four', 4),
      ]);
    });

    it('pushMatching is stamped per matched channel, across instances; a channel() listener hears it once; history() has it', async () => {
      const view = await render(a, 'wm:1', 'wm:2');
      const client = track(await open(b, view));
      await client.resume();
      const heard: unknown[] = [];
      const listening = a.realtime
        .channel('wm:1')
        .subscribe((p) => heard.push(p));
      try {
        await a.realtime.push('direct', 'wm:1');
        await a.realtime.pushMatching('wild', 'wm:*');
        const got = await frames(client, 3);
        expect(got).toContainEqual(push('wm:1', 'direct', 1));
        expect(got).toContainEqual(push('wm:1', 'wild', 2));
        expect(got).toContainEqual(push('wm:2', 'wild', 1));
        await a.realtime.push('end', 'wm:1');
        expect(await client.next()).toEqual(push('wm:1', 'end', 3));
        await expect
          .poll(() => heard, { timeout: 5000 })
          .toEqual(['direct', 'wild', 'end']);
        expect(await b.realtime.history('wm:2')).toEqual({
          epoch: expect.any(String),
          offset: 1,
          messages: [{ offset: 1, payload: 'wild' }],
        });
      } finally {
        listening.unsubscribe();
      }
    });

    it('history() reads the Stream from any instance: newest, after since, limited; nothing for a channel without history', async () => {
      await render(a, 'hr');
      for (let i = 1; i <= 4; i++) await a.realtime.push({ n: i }, 'hr');
      const all = await b.realtime.history('hr');
      expect(all.offset).toBe(4);
      expect(all.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4]);
      expect((await b.realtime.history('hr', { limit: 2 })).messages).toEqual([
        { offset: 3, payload: { n: 3 } },
        { offset: 4, payload: { n: 4 } },
      ]);
      expect(
        (await a.realtime.history('hr', { since: 1, limit: 2 })).messages,
      ).toEqual([
        { offset: 2, payload: { n: 2 } },
        { offset: 3, payload: { n: 3 } },
      ]);
      expect(await a.realtime.history('nobody-here')).toEqual({
        epoch: null,
        offset: 0,
        messages: [],
      });
    });
  },
);

describe.skipIf(!redisAvailable())('history on Redis: limits', () => {
  let redis: RedisProcess;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function two(prefix: string, extra: RealtimeModuleOptions) {
    const a = await startApp(options(redis.url, prefix, extra));
    const b = await startApp(options(redis.url, prefix, extra));
    apps.push(a, b);
    await registriesReady([a, b]);
    return { a, b };
  }

  it('more missed than size: that channel fails with limit and replays nothing, the other replays', async () => {
    const { a, b } = await two('lim:', { history: { size: 3 } });
    const view = await render(a, 'big', 'small');
    const first = await open(a, view);
    await first.resume();
    const since = first.positions;
    await first.close();
    for (let i = 1; i <= 5; i++) await a.realtime.push(i, 'big');
    for (let i = 1; i <= 2; i++) await b.realtime.push(i, 'small');
    const again = await open(b, view, since);
    try {
      expect(await again.resume()).toMatchObject({
        recovered: false,
        replayed: 2,
        failed: { big: 'limit' },
      });
      await a.realtime.push(6, 'big');
      expect(await frames(again, 3)).toEqual([
        push('small', 1, 1),
        push('small', 2, 2),
        push('big', 6, 6),
      ]);
    } finally {
      await again.close();
    }
  });

  it('older than ttl: expired (Redis time), and history() no longer returns it', async () => {
    const { a, b } = await two('ttl:', { history: { ttl: 300 } });
    const view = await render(a, 'old');
    const first = await open(a, view);
    await first.resume();
    const since = first.positions;
    await first.close();
    await a.realtime.push('stale', 'old');
    // The message's age passes ttl (the server's clock is Redis's: read it through history()).
    await expect
      .poll(async () => (await b.realtime.history('old')).messages.length, {
        timeout: 5000,
        interval: 50,
      })
      .toBe(0);
    const again = await open(b, view, since);
    try {
      expect(await again.resume()).toMatchObject({
        recovered: false,
        replayed: 0,
        failed: { old: 'expired' },
      });
    } finally {
      await again.close();
    }
  });

  it('Redis restarted without its data: a live connection is told epoch with the next push; a reconnect with the old since fails with epoch', async () => {
    const { a, b } = await two('ep:', {});
    const view = await render(a, 'ep');
    const client = await open(b, view);
    try {
      const before = await client.resume();
      await a.realtime.push('before', 'ep');
      expect(await client.next()).toEqual(push('ep', 'before', 1));
      const since = client.positions;
      await redis.restart({ keepData: false });
      // B, holding the view, recovers: it registers the view again and gives the channel a new epoch.
      const inspect = new Redis(redis.url);
      try {
        await expect
          .poll(() => inspect.exists('ep:{h:ep}:m'), { timeout: 15_000 })
          .toBe(1);
      } finally {
        inspect.disconnect();
      }
      await registriesReady([a, b]);
      await a.realtime.push('after', 'ep');
      const told = await client.resume();
      expect(told.recovered).toBe(false);
      expect(told.failed).toEqual({ ep: 'epoch' });
      expect(told.epoch.ep).not.toBe(before.epoch.ep);
      expect(await client.next()).toEqual(push('ep', 'after', 1));
      const again = await open(a, view, since);
      try {
        expect(await again.resume()).toMatchObject({
          recovered: false,
          failed: { ep: 'epoch' },
        });
      } finally {
        await again.close();
      }
    } finally {
      await client.close();
    }
  });
});

describe.skipIf(!redisAvailable())(
  'history on Redis: a pub/sub message lost on the way (TCP proxy)',
  () => {
    let redis: RedisProcess;
    let proxy: TcpProxy;
    const apps: TestApp[] = [];
    beforeAll(async () => {
      redis = await startRedis();
      proxy = await startProxy(redis.port, { resp: true });
    });
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((t) => t.close()));
    });
    afterAll(async () => {
      await proxy?.close();
      await redis?.stop();
    });

    /** A publishes straight to Redis; B, which holds the socket, hears it through the proxy. */
    async function pair(prefix: string, extra: RealtimeModuleOptions = {}) {
      const a = await startApp(options(redis.url, prefix, extra));
      const b = await startApp(options(proxy.url, prefix, extra));
      apps.push(a, b);
      await registriesReady([a, b]);
      return { a, b };
    }

    it('the missing push is read back from the Stream and delivered in order, without a resume frame', async () => {
      const { a, b } = await pair('lost:');
      const view = await render(a, 'gap');
      const client = await open(b, view);
      try {
        await client.resume();
        await a.realtime.push('one', 'gap');
        expect(await client.next()).toEqual(push('gap', 'one', 1));
        const dropped = proxy.dropped;
        proxy.dropMessage('"lost on the way"');
        await a.realtime.push('lost on the way', 'gap');
        await a.realtime.push('three', 'gap');
        expect(await frames(client, 2)).toEqual([
          push('gap', 'lost on the way', 2),
          push('gap', 'three', 3),
        ]);
        expect(proxy.dropped).toBe(dropped + 1);
        expect(client.resumes).toHaveLength(1);
      } finally {
        await client.close();
      }
    });

    it('a push replayed to an opening connection whose pub/sub copy comes later is delivered to it once', async () => {
      const { a, b } = await pair('late:');
      // A first view keeps B listening to the channel.
      const first = await open(b, await render(a, 'dup'));
      try {
        await first.resume();
        const view = await render(a, 'dup');
        proxy.holdMessage('"late copy"');
        await a.realtime.push('late copy', 'dup');
        const second = await open(b, view);
        try {
          // Its first connection replays what followed its subscribe, from the Stream.
          expect(await second.resume()).toMatchObject({ replayed: 1 });
          expect(await second.next()).toEqual(push('dup', 'late copy', 1));
          // Now the live copy reaches B (first gets it; second had it).
          expect(proxy.releaseHeld()).toBe(1);
          expect(await first.next()).toEqual(push('dup', 'late copy', 1));
          await a.realtime.push('next', 'dup');
          expect(await second.next()).toEqual(push('dup', 'next', 2));
          expect(await first.next()).toEqual(push('dup', 'next', 2));
        } finally {
          await second.close();
        }
      } finally {
        await first.close();
      }
    });

    it('when the Stream no longer has it (size 1): the connection gets a resume frame failing that channel with limit, then goes on', async () => {
      const { a, b } = await pair('short:', { history: { size: 1 } });
      const view = await render(a, 'gap1', 'other');
      const client = await open(b, view);
      try {
        await client.resume();
        await a.realtime.push('one', 'gap1');
        expect(await client.next()).toEqual(push('gap1', 'one', 1));
        proxy.dropMessage('"gone for good"');
        await a.realtime.push('gone for good', 'gap1');
        await a.realtime.push('three', 'gap1');
        const told = await client.resume();
        expect(told).toEqual({
          recovered: false,
          replayed: 0,
          epoch: { gap1: expect.any(String) },
          failed: { gap1: 'limit' },
        });
        expect(await client.next()).toEqual(push('gap1', 'three', 3));
      } finally {
        await client.close();
      }
    });
  },
);

describe.skipIf(!redisAvailable())(
  'history on Redis: property — random pushes, drops and reconnects across two instances',
  () => {
    let redis: RedisProcess;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      redis = await startRedis();
      a = await startApp(options(redis.url, 'prop:', { history: { size: 4 } }));
      b = await startApp(options(redis.url, 'prop:', { history: { size: 4 } }));
      await registriesReady([a, b]);
    }, 30_000);
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await redis?.stop();
    });

    type Step =
      | { kind: 'push'; from: 0 | 1; channel: 0 | 1 }
      | { kind: 'drop' }
      | { kind: 'reconnect'; to: 0 | 1 };

    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constant('push' as const),
        from: fc.constantFrom(0 as const, 1 as const),
        channel: fc.constantFrom(0 as const, 1 as const),
      }),
      fc.record({ kind: fc.constant('drop' as const) }),
      fc.record({
        kind: fc.constant('reconnect' as const),
        to: fc.constantFrom(0 as const, 1 as const),
      }),
    );

    let round = 0;

    it('each channel is exactly what was pushed, in order, or the client was told recovered: false for it', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 14 }), async (steps) => {
          round++;
          const apps = [a, b];
          const names = [`p${round}:x`, `p${round}:y`];
          const view = await render(a, ...names);
          const pushed: string[][] = [[], []];
          const seen: string[][] = [[], []];
          const failed = new Set<string>();
          const connectTo = async (
            t: TestApp,
            since?: TestClient['positions'],
          ) => {
            const c = await open(t, view, since);
            // The resume frame comes first: it says which channels cannot be recovered.
            for (const channel of Object.keys((await c.resume()).failed))
              failed.add(channel);
            return c;
          };
          let client: TestClient | undefined = await connectTo(b);
          let since: TestClient['positions'] | undefined;
          const drain = async (c: TestClient, upTo: number[]) => {
            // Read until each channel reached what was pushed (or it failed).
            for (;;) {
              const done = names.every(
                (n, i) => failed.has(n) || seen[i].length >= upTo[i],
              );
              if (done) return;
              const frame = (await c.next()) as {
                channel: string;
                payload: string;
              };
              const i = names.indexOf(frame.channel);
              seen[i].push(frame.payload);
            }
          };
          let n = 0;
          for (const s of steps) {
            if (s.kind === 'push') {
              const payload = `m${n++}`;
              pushed[s.channel].push(payload);
              await apps[s.from].realtime.push(payload, names[s.channel]);
            } else if (s.kind === 'drop' && client) {
              await drain(
                client,
                pushed.map((p) => p.length),
              );
              since = client.positions;
              await client.close();
              client = undefined;
            } else if (s.kind === 'reconnect' && !client) {
              client = await connectTo(apps[s.to], since);
            }
          }
          client ??= await connectTo(a, since);
          expect(client.resumes.length).toBe(1);
          await drain(
            client,
            pushed.map((p) => p.length),
          );
          await client.close();
          for (let i = 0; i < 2; i++) {
            if (failed.has(names[i])) continue;
            expect(seen[i]).toEqual(pushed[i]);
          }
        }),
        { numRuns: 15, seed: 20261207 },
      );
    }, 120_000);
  },
);
