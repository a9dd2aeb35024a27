import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeModuleOptions } from '../src';
import { RealtimeChannels } from '../src/realtime-channels';
import { startApp, type TestApp } from './support/app';
import { watchPresence } from './support/presence-watch';
import { getPage, postJson, type Page } from './support/http-client';
import {
  startInstanceProcess,
  type InstanceProcess,
} from './support/instance-process';
import {
  freePort,
  redisAvailable,
  redisCommand,
  startCluster,
  startRedis,
  type RedisCluster,
  type RedisProcess,
} from './support/redis-server';
import { connect, handshakeStatus, type TestClient } from './support/ws-client';
import { startProxy } from './support/tcp-proxy';

const SECRET = 'redis-suite-secret-0123456789-abcdefghij';

if (!redisAvailable()) {
  console.warn(
    '\n*** redis-server is not installed: the Redis registry suites are SKIPPED. `apt-get install -y redis-server` to run them (CI installs it). ***\n',
  );
}

/** Any instance that can render pages and take pushes: in-process app or separate process. */
interface Instance {
  url: string;
  push(message: unknown, channels: string[]): Promise<void>;
  /** The wildcard push: `*` in a pattern matches any run except `;`. */
  pushMatching(message: unknown, patterns: string[]): Promise<void>;
}

function inProcess(t: TestApp): Instance {
  return {
    url: t.url,
    push: (message, channels) => t.realtime.push(message, channels),
    pushMatching: (message, patterns) =>
      t.realtime.pushMatching(message, patterns),
  };
}

async function postOk(url: string, body: unknown): Promise<void> {
  const res = await postJson(url, body);
  if (res.status !== 200)
    throw new Error(
      `POST ${url} failed: ${res.status} ${JSON.stringify(res.body)}`,
    );
}

function viaHttp(p: InstanceProcess): Instance {
  return {
    url: p.url,
    push: (message, channels) => postOk(`${p.url}/push`, { message, channels }),
    pushMatching: (message, patterns) =>
      postOk(`${p.url}/push-matching`, { message, patterns }),
  };
}

async function view(
  render: Instance,
  path: string,
  socketOn: Instance,
): Promise<{ page: Page; client: TestClient }> {
  const page = await getPage(render.url + path);
  expect(page.connectionId).toBeTruthy();
  const client = await connect(socketOn.url, {
    connectionId: page.connectionId,
    key: page.key,
  });
  return { page, client };
}

async function digestOf(on: Instance, page: Page): Promise<string> {
  const res = await postJson(
    `${on.url}/subscribe`,
    { channels: ['digest-probe'] },
    page.key,
    page.connectionId,
  );
  return (res.body as { digest: string }).digest;
}

async function processReady(p: InstanceProcess): Promise<boolean> {
  const stats = (await (await fetch(`${p.url}/stats`)).json()) as {
    registry: { ready: boolean };
  };
  return stats.registry.ready;
}

function redisOptions(
  url: string,
  extra: RealtimeModuleOptions = {},
): RealtimeModuleOptions {
  return {
    registry: 'redis',
    redis: url,
    secret: SECRET,
    keyPrefix: 'rt-test:',
    ...extra,
  };
}

describe.skipIf(!redisAvailable())(
  'Redis registry: three instances on one Redis',
  () => {
    let redis: RedisProcess;
    let inspect: Redis;
    let a: TestApp;
    let b: TestApp;
    let c: InstanceProcess;
    let A: Instance;
    let B: Instance;
    let C: Instance;

    beforeAll(async () => {
      redis = await startRedis();
      inspect = new Redis(redis.url);
      a = await startApp(redisOptions(redis.url));
      b = await startApp(redisOptions(redis.url));
      c = await startInstanceProcess({
        REDIS_URL: redis.url,
        REALTIME_SECRET: SECRET,
        KEY_PREFIX: 'rt-test:',
      });
      [A, B, C] = [inProcess(a), inProcess(b), viaHttp(c)];
      await waitFor(
        async () =>
          a.realtime.stats().registry.ready &&
          b.realtime.stats().registry.ready &&
          (await processReady(c)),
        10_000,
      );
    }, 60_000);

    afterAll(async () => {
      await Promise.all([a?.close(), b?.close(), c?.kill()]);
      inspect?.disconnect();
      await redis?.stop();
    });

    it('a page rendered on one instance, a socket on another, a push from a third', async () => {
      const onB = await view(A, '/room/m1', B);
      const onA = await view(C, '/room/other1', A);
      await C.push('to m1', ['room:m1']);
      await C.push('to other1', ['room:other1']);
      expect(await onB.client.next()).toEqual({
        channel: 'room:m1',
        payload: 'to m1',
      });
      expect(await onA.client.next()).toEqual({
        channel: 'room:other1',
        payload: 'to other1',
      });
      await Promise.all([onB.client.close(), onA.client.close()]);
    });

    it('subscribe and unsubscribe on one instance take effect on a live connection held by another', async () => {
      const { page, client } = await view(A, '/room/s1', B);
      const sub = await postJson(
        `${c.url}/subscribe`,
        { channels: ['x1', 'x2'] },
        page.key,
        page.connectionId,
      );
      expect(sub.status).toBe(200);
      await A.push('x1 after subscribe', ['x1']);
      expect(await client.next()).toEqual({
        channel: 'x1',
        payload: 'x1 after subscribe',
      });
      const unsub = await postJson(
        `${a.url}/unsubscribe`,
        { channels: ['x1'] },
        page.key,
        page.connectionId,
      );
      expect(unsub.status).toBe(200);
      await C.push('x1 after unsubscribe', ['x1']);
      await C.push('x2 still', ['x2']);
      expect(await client.next()).toEqual({
        channel: 'x2',
        payload: 'x2 still',
      });
      await client.close();
    });

    it('an unsubscribe lasts: a reconnect within reconnectGrace, on any instance, does not get the channel back', async () => {
      const { page, client } = await view(A, '/room/durable', B);
      const key = page.key as string;
      const id = page.connectionId as string;
      await postJson(`${a.url}/subscribe`, { channels: ['kept'] }, key, id);
      const unsub = await postJson(
        `${c.url}/unsubscribe`,
        { channels: ['room:durable'] },
        key,
        id,
      );
      expect(unsub.status).toBe(200);
      await client.close();
      for (const on of [B, A]) {
        const again = await connect(on.url, { connectionId: id, key });
        await C.push('gone', ['room:durable']);
        await C.push('marker', ['kept']);
        expect(await again.next()).toEqual({
          channel: 'kept',
          payload: 'marker',
        });
        await again.close();
      }
      expect(
        await inspect.smembers(`rt-test:{${await digestOf(A, page)}}:ch`),
      ).not.toContain('room:durable');
    });

    it('sendTo from any instance reaches only that view, wherever its socket is', async () => {
      const target = await view(A, '/room/d1', B);
      const bystander = await view(A, '/room/d1', A);
      const digest = await digestOf(B, target.page);
      const res = await postJson(`${c.url}/send-to`, {
        digest,
        message: { secret: 1 },
        channel: 'private',
      });
      expect(res.status).toBe(200);
      await A.push('room', ['room:d1']);
      expect(await target.client.next()).toEqual({
        channel: 'private',
        payload: { secret: 1 },
      });
      expect(await target.client.next()).toEqual({
        channel: 'room:d1',
        payload: 'room',
      });
      expect(await bystander.client.next()).toEqual({
        channel: 'room:d1',
        payload: 'room',
      });
      await Promise.all([target.client.close(), bystander.client.close()]);
    });

    it('wildcard pushes cross instances and match each subscribed name', async () => {
      const one = await view(A, '/room/w:1', A);
      const two = await view(C, '/room/w:2', B);
      const no = await view(A, '/room/w;3', B);
      await C.pushMatching('star', ['room:w:*']);
      await C.push('end', ['room:w;3']);
      expect(await one.client.next()).toEqual({
        channel: 'room:w:1',
        payload: 'star',
      });
      expect(await two.client.next()).toEqual({
        channel: 'room:w:2',
        payload: 'star',
      });
      expect(await no.client.next()).toEqual({
        channel: 'room:w;3',
        payload: 'end',
      });
      await Promise.all([one, two, no].map((v) => v.client.close()));
    });

    it('channel() on every instance sees pushes from any instance', async () => {
      const seenA: unknown[] = [];
      const seenB: unknown[] = [];
      const subA = a.realtime
        .channel('jobs:server')
        .subscribe((p) => seenA.push(p));
      const subB = b.realtime
        .channel('jobs:server')
        .subscribe((p) => seenB.push(p));
      // channel() starts listening in Redis asynchronously: wait until both listen.
      await expect
        .poll(
          async () =>
            (await inspect.pubsub('NUMSUB', 'rt-test:c:{h:jobs:server}'))[1],
          { timeout: 10_000 },
        )
        .toBe(2);
      await C.push({ n: 1 }, ['jobs:server']);
      await C.pushMatching({ n: 2 }, ['jobs:*']);
      await expect
        .poll(() => [seenA, seenB], { timeout: 10_000 })
        .toEqual([
          [{ n: 1 }, { n: 2 }],
          [{ n: 1 }, { n: 2 }],
        ]);
      subA.unsubscribe();
      subB.unsubscribe();
    });

    it('a push is one PUBLISH per channel, and only instances with subscribers listen', async () => {
      const clients = [];
      for (let i = 0; i < 10; i++)
        clients.push((await view(A, '/room/o1', B)).client);
      expect((await inspect.pubsub('NUMSUB', 'rt-test:c:{h:room:o1}'))[1]).toBe(
        1,
      ); // only B holds sockets
      const before = await publishCalls(inspect);
      for (let i = 0; i < 5; i++) await A.push(i, ['room:o1']);
      expect((await publishCalls(inspect)) - before).toBe(5);
      for (const client of clients)
        for (let i = 0; i < 5; i++)
          expect(await client.next()).toEqual({
            channel: 'room:o1',
            payload: i,
          });
      await Promise.all(clients.map((cl) => cl.close()));
    });

    it('50 concurrent subscribes to one view from three instances all land', async () => {
      const { page, client } = await view(A, '/room/c0', B);
      const channels = Array.from({ length: 50 }, (_, i) => `conc:${i}`);
      await Promise.all(
        channels.map((channel, i) =>
          postJson(
            `${[a.url, b.url, c.url][i % 3]}/subscribe`,
            { channels: [channel] },
            page.key,
            page.connectionId,
          ),
        ),
      );
      const digest = await digestOf(A, page);
      const stored = await inspect.smembers(`rt-test:{${digest}}:ch`);
      for (const channel of channels) expect(stored).toContain(channel);
      for (const channel of channels) await A.push(channel, [channel]);
      const received = new Set<unknown>();
      for (let i = 0; i < 50; i++) received.add((await client.next()).payload);
      expect(received.size).toBe(50);
      await client.close();
    });
  },
);

/** Polls a condition outside tests (hooks), bounded in time. */
async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeout: number,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function publishCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe.skipIf(!redisAvailable())(
  'Redis registry: lifetimes, SIGKILL and key prefixes',
  () => {
    let redis: RedisProcess;
    let inspect: Redis;
    beforeAll(async () => {
      redis = await startRedis();
      inspect = new Redis(redis.url);
    });
    afterAll(async () => {
      inspect?.disconnect();
      await redis?.stop();
    });

    const keysOf = (prefix: string) => inspect.keys(`${prefix}*`);
    /** What each key is, from its name (README "Scaling with Redis"), sorted. */
    const kinds = (keys: string[]) =>
      keys
        .map((key) =>
          key.includes('{p}:')
            ? `presence ${{ i: 'instances', x: 'index', c: 'channel', n: 'users' }[key.split('{p}:')[1][0]]}`
            : key.endsWith(':hc')
              ? 'history list'
              : /\{h:.*\}:m$/.test(key)
                ? 'history meta'
                : /\{h:.*\}:s$/.test(key)
                  ? 'history stream'
                  : key.endsWith(':ch')
                    ? 'view channels'
                    : key.endsWith(':live')
                      ? 'view lease'
                      : key.endsWith(':pos')
                        ? 'view positions'
                        : key,
        )
        .sort();
    /** The same without the instance's own liveness entry, there while it runs. */
    const viewKinds = (keys: string[]) =>
      kinds(keys).filter((kind) => kind !== 'presence instances');

    it("a connected view's keys and its user's index live on past pendingTtl: every renew interval extends them", async () => {
      const app = await startApp(
        // reconnectGrace 0: the user index lives 2.5 s, extended every 2nd interval.
        redisOptions(redis.url, {
          keyPrefix: 'renew:',
          pendingTtl: 1500,
          reconnectGrace: 0,
        }),
      );
      try {
        await expect
          .poll(() => app.realtime.stats().registry.ready, { timeout: 10_000 })
          .toBe(true);
        const here = inProcess(app);
        const { page, client } = await view(here, '/room/renew', here);
        const digest = await digestOf(here, page);
        await app.app.get(RealtimeChannels).identify(digest, 'kim', undefined);
        // Without a renewal a key's PTTL only falls (and the view's keys are gone
        // pendingTtl after the render); a renewal (every 500 ms here) sets it back up:
        // two readings 50 ms apart around one differ by about +450 ms (+950 ms for
        // the user's index).
        for (const key of [
          `renew:{${digest}}:ch`,
          `renew:{${digest}}:live`,
          'renew:u:{kim}',
        ]) {
          let last = await inspect.pttl(key);
          expect(last, key).toBeGreaterThan(0);
          await expect
            .poll(
              async () => {
                const now = await inspect.pttl(key);
                const rose = now > last + 100;
                last = now;
                return rose;
              },
              { timeout: 5000, interval: 50 },
            )
            .toBe(true);
        }
        await app.realtime.push('still held', 'room:renew');
        expect(await client.next()).toEqual({
          channel: 'room:renew',
          payload: 'still held',
        });
        await client.close();
      } finally {
        await app.close();
      }
    });

    it('never-connected and disconnected views expire; a reconnect within the grace resumes', async () => {
      const app = await startApp(
        redisOptions(redis.url, {
          keyPrefix: 'life:',
          pendingTtl: 1500,
          reconnectGrace: 1500,
        }),
      );
      try {
        await expect
          .poll(() => app.realtime.stats().registry.ready, { timeout: 10_000 })
          .toBe(true);
        await getPage(`${app.url}/room/never`);
        // The view's channels and positions, the channel's history and the list of channels with one.
        // Left out: `presence instances`, the live instances (README "Users and presence"), this one while it runs.
        expect(viewKinds(await keysOf('life:'))).toEqual([
          'history list',
          'history meta',
          'view channels',
          'view positions',
        ]);
        await expect
          .poll(async () => viewKinds(await keysOf('life:')), {
            timeout: 8000,
            interval: 100,
          })
          .toEqual([]);

        const { page, client } = await view(
          inProcess(app),
          '/room/gone',
          inProcess(app),
        );
        await client.close();
        await expect
          .poll(() => app.realtime.stats().connections, { timeout: 10_000 })
          .toBe(0);
        const again = await connect(app.url, {
          connectionId: page.connectionId,
          key: page.key,
        });
        await app.realtime.push('resumed', 'room:gone');
        expect(await again.next()).toEqual({
          channel: 'room:gone',
          payload: 'resumed',
        });
        await again.close();
        await expect
          .poll(async () => viewKinds(await keysOf('life:')), {
            timeout: 8000,
            interval: 100,
          })
          .toEqual([]);
      } finally {
        await app.close();
      }
    });

    it('an instance killed with SIGKILL leaves nothing behind after pendingTtl', async () => {
      const proc = await startInstanceProcess({
        REDIS_URL: redis.url,
        REALTIME_SECRET: SECRET,
        KEY_PREFIX: 'kill:',
        PENDING_TTL: '1500',
        RECONNECT_GRACE: '60000',
      });
      const instance = viaHttp(proc);
      await expect
        .poll(() => processReady(proc), { timeout: 10_000 })
        .toBe(true);
      const { client } = await view(instance, '/room/k', instance);
      await instance.push('alive', ['room:k']);
      expect(await client.next()).toEqual({
        channel: 'room:k',
        payload: 'alive',
      });
      expect(kinds(await keysOf('kill:'))).toEqual([
        'history list',
        'history meta',
        'history stream',
        'presence channel',
        'presence index',
        'presence instances',
        'view channels',
        'view lease',
        'view positions',
      ]);
      expect(await proc.kill('SIGKILL')).toBeNull();
      await client.whenClosed();
      // A grace of 60 s would keep a cleanly released view; the dead holder's lease runs out after pendingTtl.
      await expect
        .poll(async () => kinds(await keysOf('kill:')), {
          timeout: 8000,
          interval: 100,
        })
        .toEqual(['history list', 'history meta', 'history stream']);
      // The channel's history goes with the last subscriber's grace (60 s here), never later.
      for (const key of await keysOf('kill:')) {
        const ttl = await inspect.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000 + 500 + 1000);
      }
    });

    it('a ready Redis client works as the redis option and is never closed by the registry', async () => {
      const mine = new Redis(redis.url);
      const app = await startApp(
        redisOptions(redis.url, { keyPrefix: 'client:', redis: mine }),
      );
      try {
        await expect
          .poll(() => app.realtime.stats().registry.ready, { timeout: 10_000 })
          .toBe(true);
        const { client } = await view(
          inProcess(app),
          '/room/c',
          inProcess(app),
        );
        await app.realtime.push('via my client', 'room:c');
        expect(await client.next()).toEqual({
          channel: 'room:c',
          payload: 'via my client',
        });
        await client.close();
      } finally {
        await app.close();
      }
      expect(mine.status).toBe('ready');
      expect(await mine.ping()).toBe('PONG');
      mine.disconnect();
    });

    it('two apps with different keyPrefix on one Redis do not see each other', async () => {
      // A Redis of its own, so every key and channel in it belongs to these two apps.
      const shared = await startRedis();
      const inspect = new Redis(shared.url);
      const one = await startApp(
        redisOptions(shared.url, { keyPrefix: 'app1:' }),
      );
      const two = await startApp(
        redisOptions(shared.url, { keyPrefix: 'app2:' }),
      );
      try {
        await expect
          .poll(
            () =>
              one.realtime.stats().registry.ready &&
              two.realtime.stats().registry.ready,
            { timeout: 10_000 },
          )
          .toBe(true);
        const v1 = await view(inProcess(one), '/room/shared', inProcess(one));
        const v2 = await view(inProcess(two), '/room/shared', inProcess(two));
        await one.realtime.push('for app1', 'room:shared');
        await one.realtime.pushMatching('wild app1', 'room:*');
        await two.realtime.push('for app2', 'room:shared');
        expect(await v1.client.next()).toEqual({
          channel: 'room:shared',
          payload: 'for app1',
        });
        expect(await v1.client.next()).toEqual({
          channel: 'room:shared',
          payload: 'wild app1',
        });
        expect(await v2.client.next()).toEqual({
          channel: 'room:shared',
          payload: 'for app2',
        });
        const keys = await inspect.keys('*');
        expect(
          keys.every((k) => k.startsWith('app1:') || k.startsWith('app2:')),
        ).toBe(true);
        const channels = (await inspect.pubsub('CHANNELS')) as string[];
        expect(
          channels.every(
            (ch) => ch.startsWith('app1:') || ch.startsWith('app2:'),
          ),
        ).toBe(true);
        await Promise.all([v1.client.close(), v2.client.close()]);
      } finally {
        await Promise.all([one.close(), two.close()]);
        inspect.disconnect();
        await shared.stop();
      }
    });
  },
);

/** Pushes `count` numbered messages on each channel and checks every client got exactly its own, in order. */
async function pushAndCount(
  from: TestApp,
  subscribers: Array<{ client: TestClient; channel: string }>,
  count: number,
): Promise<void> {
  const channels = [...new Set(subscribers.map((s) => s.channel))];
  for (let i = 0; i < count; i++)
    for (const channel of channels) await from.realtime.push(i, channel);
  for (const { client, channel } of subscribers) {
    for (let i = 0; i < count; i++)
      expect(await client.next()).toEqual({ channel, payload: i });
  }
  // Exactly `count`: a later marker is the next frame, so nothing was duplicated.
  for (const channel of channels) await from.realtime.push('end', channel);
  for (const { client, channel } of subscribers)
    expect(await client.next()).toEqual({ channel, payload: 'end' });
}

describe.skipIf(!redisAvailable())('Redis registry: faults', () => {
  async function twoInstances(url: string, prefix: string) {
    const options = redisOptions(url, {
      keyPrefix: prefix,
      publishTimeout: 600,
    });
    const a = await startApp(options);
    const b = await startApp(options);
    const ready = () =>
      a.realtime.stats().registry.ready && b.realtime.stats().registry.ready;
    return { a, b, ready };
  }

  async function clientsOn(a: TestApp, b: TestApp) {
    return [
      {
        ...(await view(inProcess(a), '/room/f1', inProcess(b))),
        channel: 'room:f1',
      },
      {
        ...(await view(inProcess(b), '/room/f2', inProcess(a))),
        channel: 'room:f2',
      },
      {
        ...(await view(inProcess(a), '/room/f1', inProcess(a))),
        channel: 'room:f1',
      },
    ];
  }

  for (const keepData of [false, true]) {
    it(`Redis restarted ${keepData ? 'with its data' : 'empty (data lost)'}: instances recover and every later push is delivered once`, async () => {
      const redis = await startRedis({ persist: keepData });
      const { a, b, ready } = await twoInstances(redis.url, 'fault:');
      try {
        await expect.poll(ready, { timeout: 10_000 }).toBe(true);
        const views = await clientsOn(a, b);
        await pushAndCount(a, views, 5);
        await redis.restart({ keepData });
        await expect.poll(ready, { timeout: 15_000, interval: 50 }).toBe(true);
        await pushAndCount(a, views, 20);
        await pushAndCount(b, views, 20);
        // The live views are in Redis again: a fresh instance sees their channels.
        const inspect = new Redis(redis.url);
        const sets = (await inspect.keys('fault:*')).filter((k) =>
          k.endsWith(':ch'),
        );
        inspect.disconnect();
        expect(sets.length).toBe(3);
        await Promise.all(views.map((v) => v.client.close()));
      } finally {
        await Promise.all([a.close(), b.close()]);
        await redis.stop();
      }
    });
  }

  it("Redis unreachable at boot: the app boots, and a valid view's handshake gets 503 after publishTimeout (rejections.registry_unavailable)", async () => {
    // A loopback port nothing listens on.
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const app = await startApp(
      redisOptions(nowhere, { keyPrefix: 'boot:', publishTimeout: 400 }),
    );
    try {
      expect(app.realtime.stats().registry).toEqual({
        kind: 'redis',
        ready: false,
      });
      const page = await getPage(`${app.url}/plain`);
      expect(page.status).toBe(200);
      const started = Date.now();
      expect(
        await handshakeStatus(app.url, {
          connectionId: page.connectionId,
          key: page.key,
        }),
      ).toBe(503);
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(app.realtime.stats().rejections.registry_unavailable).toBe(1);
      // An inert handshake needs no registry: it still opens.
      expect(await handshakeStatus(app.url, {})).toBe(101);
    } finally {
      await app.close();
    }
  });

  it('while Redis is down, push rejects with registry_unavailable after publishTimeout', async () => {
    const redis = await startRedis();
    const { a, b, ready } = await twoInstances(redis.url, 'down:');
    try {
      await expect.poll(ready, { timeout: 10_000 }).toBe(true);
      await redis.kill();
      await expect
        .poll(() => a.realtime.stats().registry.ready, { timeout: 10_000 })
        .toBe(false);
      // A push whose command fails on the dropping connection is refused at once
      // (never retried: it might have reached Redis, and a retry could deliver it twice).
      await expect(a.realtime.push('lost', 'room:x')).rejects.toMatchObject({
        name: 'RealtimeError',
        code: 'registry_unavailable',
      });
      // Once the connection is known to be down, a push waits publishTimeout for it, then gives up.
      const started = Date.now();
      await expect(a.realtime.push('lost too', 'room:x')).rejects.toMatchObject(
        {
          name: 'RealtimeError',
          code: 'registry_unavailable',
        },
      );
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(550);
      expect(waited).toBeLessThan(5000);
      // A valid view cannot load its subscriptions: its handshake gets 503.
      const page = await getPage(`${a.url}/plain`);
      expect(
        await handshakeStatus(a.url, {
          connectionId: page.connectionId,
          key: page.key,
        }),
      ).toBe(503);
      expect(a.realtime.stats().rejections.registry_unavailable).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    }
  });

  it('a cut connection (TCP proxy) recovers by itself and delivers again', async () => {
    const redis = await startRedis();
    const proxy = await startProxy(redis.port);
    const { a, b, ready } = await twoInstances(proxy.url, 'cut:');
    try {
      await expect.poll(ready, { timeout: 10_000 }).toBe(true);
      const views = await clientsOn(a, b);
      await pushAndCount(b, views, 3);
      proxy.cut();
      await expect.poll(ready, { timeout: 10_000 }).toBe(false);
      await expect(
        a.realtime.push('during cut', 'room:f1'),
      ).rejects.toMatchObject({ code: 'registry_unavailable' });
      proxy.restore();
      await expect.poll(ready, { timeout: 15_000, interval: 50 }).toBe(true);
      await pushAndCount(a, views, 20);
      await Promise.all(views.map((v) => v.client.close()));
    } finally {
      await Promise.all([a.close(), b.close()]);
      await proxy.close();
      await redis.stop();
    }
  });
});

describe.skipIf(!redisAvailable())(
  'Redis registry on a 3-master Redis Cluster (sharded pub/sub)',
  () => {
    let cluster: RedisCluster;
    let a: TestApp;
    let b: TestApp;
    let A: Instance;
    let B: Instance;

    beforeAll(async () => {
      cluster = await startCluster({ masters: 3 });
      const options = redisOptions('', { keyPrefix: 'cl:' });
      options.redis = { nodes: cluster.nodes };
      a = await startApp(options);
      b = await startApp(options);
      [A, B] = [inProcess(a), inProcess(b)];
      await waitFor(
        () =>
          a.realtime.stats().registry.ready &&
          b.realtime.stats().registry.ready,
        15_000,
      );
    }, 60_000);

    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await cluster?.stop();
    });

    it('the cross-instance matrix: render, subscribe, unsubscribe, push, sendTo, wildcard, channel()', async () => {
      // Many channels, so they land on every shard.
      const rooms = Array.from({ length: 12 }, (_, i) => `cl${i}`);
      const views = [];
      for (const [i, room] of rooms.entries())
        views.push({
          room,
          ...(await view(i % 2 ? A : B, `/room/${room}`, i % 2 ? B : A)),
        });
      for (const [i, v] of views.entries())
        await (i % 2 ? B : A).push(v.room, [`room:${v.room}`]);
      for (const v of views)
        expect(await v.client.next()).toEqual({
          channel: `room:${v.room}`,
          payload: v.room,
        });
      // Sharded pub/sub: the room channels are shard channels, spread over the masters.
      const perNode = await Promise.all(
        cluster.nodes.map((n) =>
          redisCommand(n.port, ['PUBSUB', 'SHARDCHANNELS', 'cl:c:{h:room:*']),
        ),
      );
      expect(
        perNode.filter(
          (channels) => Array.isArray(channels) && channels.length > 0,
        ).length,
      ).toBeGreaterThan(1);
      expect(perNode.flat().length).toBe(rooms.length);

      const first = views[0];
      expect(
        (
          await postJson(
            `${b.url}/subscribe`,
            { channels: ['cl:extra'] },
            first.page.key,
            first.page.connectionId,
          )
        ).status,
      ).toBe(200);
      await A.push('extra', ['cl:extra']);
      expect(await first.client.next()).toEqual({
        channel: 'cl:extra',
        payload: 'extra',
      });
      expect(
        (
          await postJson(
            `${a.url}/unsubscribe`,
            { channels: ['cl:extra'] },
            first.page.key,
            first.page.connectionId,
          )
        ).status,
      ).toBe(200);

      const digest = await digestOf(B, first.page);
      await a.realtime.sendTo(digest, 'only you', 'direct');
      await B.push('not you', ['cl:extra']);
      await B.pushMatching('wild', ['room:cl1*']);
      expect(await first.client.next()).toEqual({
        channel: 'direct',
        payload: 'only you',
      });
      const wildReceivers = views.filter((v) => /^cl1\d*$/.test(v.room));
      expect(wildReceivers.length).toBeGreaterThan(1);
      for (const v of wildReceivers)
        expect(await v.client.next()).toEqual({
          channel: `room:${v.room}`,
          payload: 'wild',
        });
      // A marker on every room is each view's next frame: `first` got no 'not you' after
      // its unsubscribe, and no view outside the pattern got 'wild'.
      for (const v of views) await A.push('marker', [`room:${v.room}`]);
      for (const v of views)
        expect(await v.client.next()).toEqual({
          channel: `room:${v.room}`,
          payload: 'marker',
        });

      const seen: unknown[] = [];
      const sub = b.realtime.channel('cl:jobs').subscribe((p) => seen.push(p));
      await expect
        .poll(
          async () => {
            await A.push('probe', ['cl:jobs']);
            return seen.length > 0;
          },
          { timeout: 10_000, interval: 100 },
        )
        .toBe(true);
      seen.length = 0;
      await A.push({ n: 1 }, ['cl:jobs']);
      // A probe still in flight may land after the reset: only the real push counts.
      await expect
        .poll(() => seen.filter((p) => p !== 'probe'), { timeout: 10_000 })
        .toEqual([{ n: 1 }]);
      sub.unsubscribe();
      await Promise.all(views.map((v) => v.client.close()));
    });

    it('presence on the Cluster: a user identified on one instance, connected on the other, joins once on both streams', async () => {
      const onA = watchPresence(a.realtime.presence$('room:clp'));
      const onB = watchPresence(b.realtime.presence$('room:clp'));
      const kim = await view(A, '/room/clp', B);
      const anonymous = await view(B, '/room/clp', A);
      // identify() as a route would call it, on the instance that did not render.
      await a.app
        .get(RealtimeChannels)
        .identify(await digestOf(B, kim.page), 'kim', { name: 'Kim' });
      const joined = {
        type: 'join',
        channel: 'room:clp',
        user: 'kim',
        info: { name: 'Kim' },
        instanceId: b.realtime.stats().instanceId,
      };
      expect(await onA.next()).toEqual(joined);
      expect(await onB.next()).toEqual(joined);
      expect(await a.realtime.presence('room:clp')).toEqual([
        { user: 'kim', info: { name: 'Kim' }, connections: 1 },
      ]);
      await expect
        .poll(() => b.realtime.presenceStats('room:clp'), { timeout: 8000 })
        .toEqual({ users: 1, views: 2, connections: 2 });
      onA.stop();
      onB.stop();
      await Promise.all([kim.client.close(), anonymous.client.close()]);
    });
  },
);
