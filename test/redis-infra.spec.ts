import { Cluster, Redis } from 'ioredis';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInstanceProcess } from './support/instance-process';
import {
  type RedisCluster,
  type RedisProcess,
  redisAvailable,
  redisCommand,
  startCluster,
  startRedis,
} from './support/redis-server';
import { startProxy, type TcpProxy } from './support/tcp-proxy';

const hasRedis = redisAvailable();
if (!hasRedis)
  console.warn(
    '\n*** redis-server/redis-cli not found on PATH: the Redis infrastructure tests are SKIPPED. ' +
      'Install Redis >= 7 (e.g. apt-get install redis-server) to run them. ***\n',
  );

/** Resolves when `emitter` emits `event`, rejects after `timeout` ms. */
function waitFor(
  emitter: EventEmitter,
  event: string,
  timeout = 5_000,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' within ${timeout} ms`));
    }, timeout);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, listener);
  });
}

const clients: Array<Redis | Cluster> = [];
/** A client that retries fast and never prints unhandled 'error' events. */
function client(url: string): Redis {
  const redis = new Redis(url, { retryStrategy: () => 50 });
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}
function clusterClient(
  nodes: RedisCluster['nodes'],
  options: { shardedSubscribers?: boolean } = {},
): Cluster {
  const cluster = new Cluster(nodes, options);
  cluster.on('error', () => undefined);
  clients.push(cluster);
  return cluster;
}

afterAll(() => {
  for (const c of clients) c.disconnect();
});

describe.skipIf(!hasRedis)('redis-server helper', () => {
  const servers: RedisProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('starts a server that ioredis can SET and GET on', async () => {
    const server = await startRedis();
    servers.push(server);
    expect(server.port).not.toBe(6379);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const redis = client(server.url);
    await redis.set('greeting', 'hello');
    expect(await redis.get('greeting')).toBe('hello');
    expect(await redisCommand(server.port, ['GET', 'greeting'])).toBe('hello');
  });

  it('restart({ keepData: false }) comes back empty on the same port', async () => {
    const server = await startRedis();
    servers.push(server);
    const redis = client(server.url);
    await redis.set('doomed', '1');
    const { port, pid, dir } = server;
    await server.restart({ keepData: false });
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    expect(server.dir).not.toBe(dir);
    expect(existsSync(dir)).toBe(false);
    // The same client reconnects by itself (same port).
    expect(await redis.get('doomed')).toBeNull();
  });

  it('restart({ keepData: true }) with persist keeps the data (AOF)', async () => {
    const server = await startRedis({ persist: true });
    servers.push(server);
    const redis = client(server.url);
    await redis.set('survivor', 'yes');
    const { pid, dir } = server;
    await server.restart({ keepData: true });
    expect(server.pid).not.toBe(pid);
    expect(server.dir).toBe(dir);
    expect(existsSync(`${dir}/appendonlydir`)).toBe(true);
    expect(await redis.get('survivor')).toBe('yes');
  });

  it('restart({ keepData: true }) refuses a server started without persist', async () => {
    const server = await startRedis();
    servers.push(server);
    await expect(server.restart({ keepData: true })).rejects.toThrow(/persist/);
  });

  it('kill() loses unpersisted data; kill() + restart keeps AOF data', async () => {
    const server = await startRedis({ persist: true });
    servers.push(server);
    const redis = client(server.url);
    await redis.set('fsynced', 'yes');
    await server.kill();
    expect(await redisCommand(server.port, ['PING']).catch(() => 'down')).toBe(
      'down',
    );
    await server.restart({ keepData: true });
    expect(await redis.get('fsynced')).toBe('yes');
  });
});

describe.skipIf(!hasRedis)('tcp proxy', () => {
  let server: RedisProcess;
  let proxy: TcpProxy;
  beforeAll(async () => {
    server = await startRedis();
    proxy = await startProxy(server.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('forwards a PING', async () => {
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}`);
    expect(await redisCommand(proxy.port, ['PING'])).toBe('PONG');
  });

  it('cut() closes a connected client; restore() lets it reconnect', async () => {
    const redis = client(proxy.url);
    await redis.set('through-proxy', '1');
    expect(proxy.connections).toBe(1);

    const closed = waitFor(redis, 'close');
    const reconnecting = waitFor(redis, 'reconnecting');
    proxy.cut();
    await closed;
    expect(proxy.connections).toBe(0);
    // While cut, reconnect attempts are dropped at once.
    await reconnecting;
    await expect(redisCommand(proxy.port, ['PING'], 500)).rejects.toThrow();
    expect(redis.status).not.toBe('ready');

    const ready = waitFor(redis, 'ready');
    proxy.restore();
    await ready;
    expect(await redis.get('through-proxy')).toBe('1');
    expect(proxy.connections).toBe(1);
  });
});

describe.skipIf(!hasRedis)('redis cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Port of the master owning `key`'s slot, read from the cluster itself. */
  async function owner(key: string): Promise<number> {
    const { port } = cluster.nodes[0];
    const slot = (await redisCommand(port, [
      'CLUSTER',
      'KEYSLOT',
      key,
    ])) as number;
    const ranges = (await redisCommand(port, ['CLUSTER', 'SLOTS'])) as Array<
      [number, number, [string, number]]
    >;
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    return Number(range?.[2][1]);
  }

  it('has 3 masters and spreads keys over all of them', async () => {
    expect(cluster.nodes).toHaveLength(3);
    const redis = clusterClient(cluster.nodes);
    const keys = Array.from({ length: 30 }, (_, i) => `key:${i}`);
    for (const key of keys) await redis.set(key, key.toUpperCase());
    for (const key of keys)
      expect(await redis.get(key)).toBe(key.toUpperCase());
    const sizes = await Promise.all(
      cluster.nodes.map(({ port }) => redisCommand(port, ['DBSIZE'])),
    );
    expect(sizes.reduce((a, b) => Number(a) + Number(b), 0)).toBe(30);
    for (const size of sizes) expect(size).toBeGreaterThan(0);
  });

  it('sharded pub/sub works with { shardedSubscribers: true }', async () => {
    const channels = ['news', 'room:1', 'room:2', 'alerts', 'a', 'b'];
    const owners = new Set(await Promise.all(channels.map(owner)));
    expect(owners.size).toBe(3); // the channels live on every shard

    const subscriber = clusterClient(cluster.nodes, {
      shardedSubscribers: true,
    });
    const received: Array<[string, string]> = [];
    subscriber.on('smessage', (channel: string, message: string) =>
      received.push([channel, message]),
    );
    // One SSUBSCRIBE per slot: channels of different slots in one call are refused.
    for (const channel of channels)
      expect(await subscriber.ssubscribe(channel)).toBeGreaterThan(0);
    await expect(subscriber.ssubscribe('news', 'alerts')).rejects.toThrow(
      /CROSSSLOT/,
    );

    const publisher = clusterClient(cluster.nodes);
    for (const channel of channels)
      // SPUBLISH resolves the number of subscribers that received it.
      expect(await publisher.spublish(channel, `to ${channel}`)).toBe(1);
    expect(await publisher.spublish('nobody-listens', 'x')).toBe(0);

    const deadline = Date.now() + 5_000;
    while (received.length < channels.length && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received.sort()).toEqual(
      channels.map((channel) => [channel, `to ${channel}`]).sort(),
    );

    // The subscribing Cluster still runs ordinary commands (separate connections).
    await subscriber.set('still', 'usable');
    expect(await publisher.get('still')).toBe('usable');

    await subscriber.sunsubscribe('news');
    expect(await publisher.spublish('news', 'gone')).toBe(0);
  });
});

describe('instance process (memory registry)', () => {
  it('boots the built fixture, serves routes and exits 0 on SIGTERM', async () => {
    const instance = await startInstanceProcess({
      REGISTRY: 'memory',
      REALTIME_SECRET: 'x'.repeat(40),
    });
    try {
      expect(instance.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const page = await fetch(`${instance.url}/room/lobby`);
      expect(await page.text()).toMatch(
        /<body data-socket-connection-id="[^"]+"><h1>lobby<\/h1>/,
      );
      const push = await fetch(`${instance.url}/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: { n: 1 }, channels: [] }),
      });
      expect(push.status).toBe(503);
      expect(await push.json()).toMatchObject({ error: 'no_channels' });
      const stats = await (await fetch(`${instance.url}/stats`)).json();
      expect(stats).toHaveProperty('instanceId');
    } finally {
      expect(await instance.kill()).toBe(0);
    }
    expect(instance.stderr()).toBe('');
  });
});
