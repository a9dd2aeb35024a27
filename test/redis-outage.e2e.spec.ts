import type { LoggerService } from '@nestjs/common';
import { type AddressInfo, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from './support/app';
import {
  startInstanceProcess,
  type InstanceProcess,
} from './support/instance-process';
import { WebSocket } from 'ws';
import {
  freePort,
  redisAvailable,
  startRedis,
  type RedisProcess,
} from './support/redis-server';

const SHUTDOWN_TIMEOUT = 8_000;

describe.skipIf(!redisAvailable())(
  'shutdown while Redis is unreachable',
  () => {
    let server: RedisProcess | undefined;
    let instance: InstanceProcess | undefined;
    afterEach(async () => {
      await instance?.kill('SIGKILL');
      await server?.stop();
    });

    it('app.close() returns well within shutdownTimeout and the process exits by itself (nothing left open)', async () => {
      server = await startRedis();
      instance = await startInstanceProcess({
        REDIS_URL: server.url,
        REALTIME_SECRET: 'x'.repeat(40),
        SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT),
        PUBLISH_TIMEOUT: '500',
        EXIT_BY_ITSELF: '1',
      });
      // A view with a live subscription, so close() has something to hand back.
      const page = await fetch(`${instance.url}/room/lobby`);
      expect(page.status).toBe(200);
      await server.kill();

      const started = Date.now();
      process.kill(instance.pid, 'SIGTERM');
      // The fixture does not call process.exit: it ends only when no handle is left.
      const gone = await instance.ended(SHUTDOWN_TIMEOUT + 4_000);
      const took = Date.now() - started;
      expect(gone, instance.stderr()).toBe(true);
      const closed = /CLOSED in (\d+) ms/.exec(instance.stderr());
      expect(closed, instance.stderr()).not.toBeNull();
      expect(Number(closed?.[1])).toBeLessThan(SHUTDOWN_TIMEOUT);
      expect(took).toBeLessThan(SHUTDOWN_TIMEOUT + 4_000);
    }, 40_000);

    it('with Redis unreachable from boot on, and a client connected, too', async () => {
      instance = await startInstanceProcess({
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        REALTIME_SECRET: 'x'.repeat(40),
        SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT),
        PUBLISH_TIMEOUT: '500',
        EXIT_BY_ITSELF: '1',
      });
      // An inert socket (no id): it opens without the registry.
      const ws = new WebSocket(instance.url.replace('http', 'ws'));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const closedByServer = new Promise<number>((resolve) =>
        ws.once('close', (code) => resolve(code)),
      );
      const started = Date.now();
      process.kill(instance.pid, 'SIGTERM');
      expect(await closedByServer).toBe(1001);
      expect(
        await instance.ended(SHUTDOWN_TIMEOUT + 4_000),
        instance.stderr(),
      ).toBe(true);
      const closed = /CLOSED in (\d+) ms/.exec(instance.stderr());
      expect(closed, instance.stderr()).not.toBeNull();
      expect(Number(closed?.[1])).toBeLessThan(SHUTDOWN_TIMEOUT);
      expect(Date.now() - started).toBeLessThan(SHUTDOWN_TIMEOUT + 4_000);
    }, 40_000);
  },
);

describe('logs while Redis is unreachable', () => {
  it('say each error once per outage, not at every reconnect attempt', async () => {
    // A "Redis" that resets every connection: each ioredis attempt is counted here.
    let attempts = 0;
    const reset = createServer((socket) => {
      attempts++;
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => reset.listen(0, '127.0.0.1', resolve));
    const { port } = reset.address() as AddressInfo;
    const warnings: string[] = [];
    const logger: LoggerService = {
      log() {},
      error() {},
      warn: (message: unknown) => warnings.push(String(message)),
    };
    const t = await startApp(
      {
        registry: 'redis',
        redis: `redis://127.0.0.1:${port}`,
        secret: 'x'.repeat(40),
      },
      undefined,
      [],
      { logger },
    );
    try {
      const redisWarnings = () =>
        warnings.filter((w) => w.startsWith('Redis: '));
      await expect
        .poll(() => attempts, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(8);
      // Error events trail the connections the server counted.
      await expect
        .poll(() => redisWarnings().length, { timeout: 5_000 })
        .toBeGreaterThanOrEqual(1);
      // Each distinct error once (a reset may read as connect or read ECONNRESET).
      const said = redisWarnings();

      expect(new Set(said).size).toBe(said.length);
      expect(said.length).toBeLessThanOrEqual(3);
      expect(said[0]).toMatch(/ECONNRESET|Connection is closed/);
    } finally {
      await t.close();
      reset.close();
    }
  });
});
