import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { RealtimeModuleOptions, RealtimeSocket } from '../src';
import { startApp, type TestApp } from './support/app';
import { getPage, type Page } from './support/http-client';
import {
  redisAvailable,
  redisCommand,
  startRedis,
  type RedisProcess,
} from './support/redis-server';
import { startProxy, type TcpProxy } from './support/tcp-proxy';
import { connect, type TestClient } from './support/ws-client';

// Issue #10, defects 3 and 9: subscription changes that a cut holder never applied,
// and sizes that broke the Lua scripts. Every scenario runs against real redis-server
// processes of its own (a TCP proxy cuts connections); nothing is mocked.

const SECRET = 'redis-attacks-secret-0123456789-abcdefghij';

/** Everything a test started, stopped in reverse order whatever happened. */
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function redisOptions(
  redis: string,
  keyPrefix: string,
  extra: RealtimeModuleOptions = {},
): RealtimeModuleOptions {
  return { registry: 'redis', redis, secret: SECRET, keyPrefix, ...extra };
}

/** What an app's request with this view's key and id resolves to (the view's RealtimeSocket). */
function socketOf(app: TestApp, page: Page): RealtimeSocket {
  const socket = app.realtime.socket({
    headers: {
      cookie: `realtime_key=${page.key}`,
      'x-socket-connection-id': page.connectionId,
    },
    url: '/',
  } as never);
  expect(socket.connectionId).toBe(page.connectionId);
  return socket;
}

async function openView(
  renderOn: TestApp,
  path: string,
  socketOn: TestApp,
): Promise<{ page: Page; client: TestClient }> {
  const page = await getPage(renderOn.url + path);
  expect(page.connectionId).toBeTruthy();
  const client = await connect(socketOn.url, {
    connectionId: page.connectionId,
    key: page.key,
  });
  cleanups.push(() => client.close());
  return { page, client };
}

const ready = (app: TestApp) => app.realtime.stats().registry.ready;

async function redisServer(): Promise<RedisProcess> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  return redis;
}

async function proxyTo(redis: RedisProcess): Promise<TcpProxy> {
  const proxy = await startProxy(redis.port);
  cleanups.push(() => proxy.close());
  return proxy;
}

async function app(options: RealtimeModuleOptions): Promise<TestApp> {
  const started = await startApp(options);
  cleanups.push(() => started.close());
  await expect.poll(() => ready(started), { timeout: 10_000 }).toBe(true);
  return started;
}

function inspector(redis: RedisProcess): Redis {
  const client = new Redis(redis.url, { retryStrategy: () => 50 });
  client.on('error', () => undefined);
  cleanups.push(() => client.disconnect());
  return client;
}

describe.skipIf(!redisAvailable())(
  'Redis attacks: a subscription change must reach every live holder (defect 3)',
  () => {
    it('while the holder is cut from Redis, unsubscribe and subscribe reject; back online it takes the stored set, not its stale copy', async () => {
      const redis = await redisServer();
      const proxy = await proxyTo(redis);
      const options = { publishTimeout: 1000 };
      const a = await app(redisOptions(proxy.url, 'atk-cut:', options));
      const b = await app(redisOptions(redis.url, 'atk-cut:', options));
      // Rendered on B (subscribes room:secret), the socket lives on A.
      const { page, client } = await openView(b, '/room/secret', a);
      await b.realtime.push('hello', 'room:secret');
      expect(await client.next()).toEqual({
        channel: 'room:secret',
        payload: 'hello',
      });

      proxy.cut();
      await expect
        .poll(() => ready(a), { timeout: 10_000, interval: 20 })
        .toBe(false);
      const socket = socketOf(b, page);
      // A still delivers the old set: neither change may claim to be in effect.
      await expect(socket.unsubscribe('room:secret')).rejects.toMatchObject({
        name: 'RealtimeError',
        code: 'registry_unavailable',
      });
      await expect(socket.subscribe('room:new')).rejects.toMatchObject({
        name: 'RealtimeError',
        code: 'registry_unavailable',
      });

      proxy.restore();
      await expect
        .poll(() => ready(a), { timeout: 15_000, interval: 20 })
        .toBe(true);
      // Redis kept the view, so its stored set is the truth: A never writes its copy back.
      const inspect = inspector(redis);
      expect(
        await inspect.smembers(`atk-cut:{${socketOf(b, page).digest}}:ch`),
      ).toEqual(['room:new']);
      await b.realtime.push('leak', 'room:secret');
      await b.realtime.push('new', 'room:new');
      expect(await client.next()).toEqual({
        channel: 'room:new',
        payload: 'new',
      });
    });

    it('with the holder connected, unsubscribe resolves only once the live connection stopped receiving; subscribe once it receives', async () => {
      const redis = await redisServer();
      const a = await app(redisOptions(redis.url, 'atk-live:'));
      const b = await app(redisOptions(redis.url, 'atk-live:'));
      const { page, client } = await openView(b, '/room/live', a);
      const socket = socketOf(b, page);
      await socket.subscribe('room:marker');
      for (let round = 0; round < 5; round++) {
        await socket.unsubscribe('room:live');
        // Pushed the moment unsubscribe resolved, from the instance that made the change.
        await b.realtime.push(`after unsubscribe ${round}`, 'room:live');
        await b.realtime.push(`marker ${round}`, 'room:marker');
        expect(await client.next()).toEqual({
          channel: 'room:marker',
          payload: `marker ${round}`,
        });
        await socket.subscribe('room:live');
        await b.realtime.push(`after subscribe ${round}`, 'room:live');
        expect(await client.next()).toEqual({
          channel: 'room:live',
          payload: `after subscribe ${round}`,
        });
      }
    });

    it('a holder cut for longer than its lease no longer holds a change up, and back online does not write its copy back', async () => {
      const redis = await redisServer();
      const proxy = await proxyTo(redis);
      // The lease (pendingTtl) ends before an unconfirmed change is checked again (publishTimeout).
      const options = { pendingTtl: 1500, publishTimeout: 2000 };
      const a = await app(redisOptions(proxy.url, 'atk-lease:', options));
      const b = await app(redisOptions(redis.url, 'atk-lease:', options));
      const { page, client } = await openView(b, '/room/x', a);
      await b.realtime.push('hello', 'room:x');
      expect(await client.next()).toEqual({
        channel: 'room:x',
        payload: 'hello',
      });

      proxy.cut();
      await expect
        .poll(() => ready(a), { timeout: 10_000, interval: 20 })
        .toBe(false);
      const socket = socketOf(b, page);
      await socket.unsubscribe('room:x'); // A's lease ran out: nobody delivers the old set
      proxy.restore();
      await expect
        .poll(() => ready(a), { timeout: 15_000, interval: 20 })
        .toBe(true);
      await socket.subscribe('room:marker');
      await b.realtime.push('leak', 'room:x');
      await b.realtime.push('marker', 'room:marker');
      expect(await client.next()).toEqual({
        channel: 'room:marker',
        payload: 'marker',
      });
    });

    it('a holder whose connection closed does not hold up a change', async () => {
      const redis = await redisServer();
      const options = { publishTimeout: 1000 };
      const a = await app(redisOptions(redis.url, 'atk-gone:', options));
      const b = await app(redisOptions(redis.url, 'atk-gone:', options));
      const { page, client } = await openView(b, '/room/gone', a);
      await client.close();
      await expect
        .poll(() => a.realtime.stats().connections, { timeout: 10_000 })
        .toBe(0);
      const inspect = inspector(redis);
      const live = `atk-gone:{${socketOf(b, page).digest}}:live`;
      await expect
        .poll(() => inspect.exists(live), { timeout: 10_000 })
        .toBe(0);
      const socket = socketOf(b, page);
      await socket.unsubscribe('room:gone');
      await socket.subscribe('room:back');
      const again = await connect(a.url, {
        connectionId: page.connectionId,
        key: page.key,
      });
      cleanups.push(() => again.close());
      await b.realtime.push('gone', 'room:gone');
      await b.realtime.push('back', 'room:back');
      expect(await again.next()).toEqual({
        channel: 'room:back',
        payload: 'back',
      });
    });
  },
);

describe.skipIf(!redisAvailable())(
  'Redis attacks: sizes never break a script (defect 9)',
  () => {
    const many = (count: number, prefix = 'big:') =>
      Array.from({ length: count }, (_, i) => `${prefix}${i}`);

    it('one subscribe of 9,000 channels works, and the view is registered again after Redis restarts empty', async () => {
      const redis = await redisServer();
      const a = await app(
        redisOptions(redis.url, 'atk-big:', { maxChannelsPerView: 10_000 }),
      );
      const { page, client } = await openView(a, '/plain', a);
      const socket = socketOf(a, page);
      await socket.subscribe(many(9000));
      await a.realtime.push('last', 'big:8999');
      expect(await client.next()).toEqual({
        channel: 'big:8999',
        payload: 'last',
      });
      const key = `atk-big:{${socket.digest}}:ch`;
      expect(await redisCommand(redis.port, ['SCARD', key])).toBe(9000);

      await redis.restart(); // empty
      await expect
        .poll(() => ready(a), { timeout: 20_000, interval: 20 })
        .toBe(true);
      expect(await redisCommand(redis.port, ['SCARD', key])).toBe(9000);
      await a.realtime.push('after restart', 'big:8999');
      await a.realtime.push('first', 'big:0');
      expect(await client.next()).toEqual({
        channel: 'big:8999',
        payload: 'after restart',
      });
      expect(await client.next()).toEqual({
        channel: 'big:0',
        payload: 'first',
      });
    }, 60_000);

    it('a subscribe past maxChannelsPerView rejects with too_many_channels and applies nothing', async () => {
      const redis = await redisServer();
      const a = await app(redisOptions(redis.url, 'atk-max:'));
      const page = await getPage(`${a.url}/room/lim`); // holds room:lim
      const socket = socketOf(a, page);
      const key = `atk-max:{${socket.digest}}:ch`;
      const scard = () => redisCommand(redis.port, ['SCARD', key]);
      expect(await scard()).toBe(1);

      await expect(socket.subscribe(many(1001, 'lim:'))).rejects.toMatchObject({
        name: 'RealtimeError',
        code: 'too_many_channels',
      });
      expect(await scard()).toBe(1);
      await expect(socket.subscribe(many(1000, 'lim:'))).rejects.toMatchObject({
        code: 'too_many_channels',
      });
      expect(await scard()).toBe(1);

      // Distinct channels count: 999 names given twice take the view to exactly 1,000.
      const fill = many(999, 'lim:');
      await socket.subscribe(fill, fill);
      expect(await scard()).toBe(1000);
      await socket.subscribe('room:lim', 'lim:0'); // already held: free
      await expect(socket.subscribe('lim:one-more')).rejects.toMatchObject({
        code: 'too_many_channels',
      });
      expect(await scard()).toBe(1000);
      await socket.unsubscribe('lim:0');
      await socket.subscribe('lim:one-more');
      expect(await scard()).toBe(1000);
    });

    it("a Redis error reply is reported with Redis's own message, not as 'could not reach Redis'", async () => {
      const redis = await redisServer();
      const a = await app(redisOptions(redis.url, 'atk-oom:'));
      const page = await getPage(`${a.url}/room/oom`);
      const socket = socketOf(a, page);
      expect(
        await redisCommand(redis.port, ['CONFIG', 'SET', 'maxmemory', '1']),
      ).toBe('OK');
      const error = (await socket.subscribe('room:oom2').then(
        () => undefined,
        (e: unknown) => e,
      )) as { name: string; code: string; message: string } | undefined;
      expect(error).toMatchObject({ name: 'RealtimeError' });
      expect(error?.message).toContain('OOM command not allowed');
      expect(error?.message).not.toContain('could not reach Redis');
      expect(error?.code).not.toBe('registry_unavailable');
      expect(error?.code).toBe('registry_error');
      expect(
        await redisCommand(redis.port, ['CONFIG', 'SET', 'maxmemory', '0']),
      ).toBe('OK');
      await socket.subscribe('room:oom2');
    });

    it('a recovery that fails (OOM right after a restart) is retried without a new reconnect', async () => {
      const redis = await redisServer();
      const proxy = await proxyTo(redis);
      const a = await app(redisOptions(proxy.url, 'atk-retry:'));
      const { page, client } = await openView(a, '/room/retry', a);
      await a.realtime.push('before', 'room:retry');
      expect(await client.next()).toEqual({
        channel: 'room:retry',
        payload: 'before',
      });

      proxy.cut();
      await expect
        .poll(() => ready(a), { timeout: 10_000, interval: 20 })
        .toBe(false);
      await redis.restart(); // empty: the view must be registered again
      expect(
        await redisCommand(redis.port, ['CONFIG', 'SET', 'maxmemory', '1']),
      ).toBe('OK');
      proxy.restore();
      // A reconnects (both connections), and its recovery fails with OOM.
      await expect
        .poll(
          async () =>
            proxy.connections === 2 &&
            /errorstat_OOM:count=\d+/.test(
              String(await redisCommand(redis.port, ['INFO', 'errorstats'])),
            ),
          { timeout: 15_000, interval: 20 },
        )
        .toBe(true);
      expect(ready(a)).toBe(false);
      const accepted = proxy.accepted;

      expect(
        await redisCommand(redis.port, ['CONFIG', 'SET', 'maxmemory', '0']),
      ).toBe('OK');
      await expect
        .poll(() => ready(a), { timeout: 15_000, interval: 20 })
        .toBe(true);
      expect(proxy.accepted).toBe(accepted); // recovered on the same connections
      expect(
        await redisCommand(redis.port, [
          'SMEMBERS',
          `atk-retry:{${socketOf(a, page).digest}}:ch`,
        ]),
      ).toEqual(['room:retry']);
      await a.realtime.push('after', 'room:retry');
      expect(await client.next()).toEqual({
        channel: 'room:retry',
        payload: 'after',
      });
    }, 60_000);
  },
);

describe.skipIf(!redisAvailable())(
  'Redis attacks: a live view stays registered (SPEC §6.6)',
  () => {
    it('a live view that Redis lost without a disconnect (FLUSHALL) is registered again at the next renewal', async () => {
      const redis = await redisServer();
      const a = await app(
        redisOptions(redis.url, 'atk-flush:', { pendingTtl: 1500 }),
      );
      const { page, client } = await openView(a, '/room/flush', a);
      const key = `atk-flush:{${socketOf(a, page).digest}}:ch`;
      expect(await redisCommand(redis.port, ['FLUSHALL'])).toBe('OK');
      await expect
        .poll(() => redisCommand(redis.port, ['SMEMBERS', key]), {
          timeout: 10_000,
          interval: 50,
        })
        .toEqual(['room:flush']);
      await expect.poll(() => ready(a), { timeout: 10_000 }).toBe(true);
      await a.realtime.push('still here', 'room:flush');
      expect(await client.next()).toEqual({
        channel: 'room:flush',
        payload: 'still here',
      });
    });
  },
);
