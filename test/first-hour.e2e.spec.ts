// What a new user meets in their first hour (README "Troubleshooting"): boot messages
// that say what chose what, and how to change it.
import type { LoggerService } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp } from './support/app';
import { getPage } from './support/http-client';
import { freePort } from './support/redis-server';
import { WebSocket } from 'ws';
import { connect } from './support/ws-client';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

function captureLogger(): { logger: LoggerService; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: unknown) =>
    lines.push(`${level} ${String(message)}`);
  return {
    lines,
    logger: { log: push('log'), warn: push('warn'), error: push('error') },
  };
}

describe('boot messages', () => {
  it('a redis option with the memory registry is not silently ignored: a warning says so', async () => {
    const { logger, lines } = captureLogger();
    const t = await startApp(
      { redis: 'redis://127.0.0.1:6390' },
      undefined,
      [],
      { logger },
    );
    await t.close();
    expect(lines).toContain(
      `warn The "redis" option is not used: the registry is 'memory'. Pass registry: 'redis' to use Redis, or drop the "redis" option.`,
    );
  });

  it('without a redis option, no such warning', async () => {
    const { logger, lines } = captureLogger();
    const t = await startApp({}, undefined, [], { logger });
    await t.close();
    expect(lines.filter((l) => l.includes('"redis" option'))).toEqual([]);
    // The boot did log (the dev-secret warning), so the logger was listening.
    expect(lines.some((l) => l.includes('No "secret" configured'))).toBe(true);
  });

  it('NODE_ENV=production choosing Redis is said at boot', async () => {
    const { logger, lines } = captureLogger();
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const t = await startApp(
        {
          secret: 'x'.repeat(40),
          redis: `redis://127.0.0.1:${await freePort()}`,
          publishTimeout: 300,
        },
        undefined,
        [],
        { logger },
      );
      await t.close();
    } finally {
      process.env.NODE_ENV = previous;
    }
    expect(
      lines.some(
        (l) =>
          l.startsWith('log NODE_ENV=production and no "registry" option') &&
          l.includes("registry: 'memory'"),
      ),
    ).toBe(true);
  });

  it("registry: 'redis' without ioredis installed fails boot with how to install it", async () => {
    const failed = await run(
      process.execPath,
      [
        '--import',
        join(ROOT, 'test', 'fixtures', 'without-ioredis.mjs'),
        join(ROOT, 'test', 'fixtures', 'redis-instance.cjs'),
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
          REALTIME_SECRET: 'x'.repeat(40),
        },
        timeout: 20_000,
      },
    ).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(
      'the Redis registry needs the ioredis package, which is not installed: install ioredis (npm i ioredis)',
    );
    expect(failed?.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
  }, 30_000);
});

describe('nothing arrives? the debug log says why', () => {
  it('an inert socket is logged with its reason, and an upgrade to another path with the realtime path', async () => {
    const lines: string[] = [];
    const logger: LoggerService = {
      log() {},
      warn() {},
      error() {},
      debug: (message: unknown) => lines.push(String(message)),
    };
    const t = await startApp({}, [FixtureController], [], { logger });
    try {
      // No id at all.
      const bare = await connect(t.url, {});
      await bare.request({ id: 'p', action: 'ping' });
      // A real page's id, but presented without the key it was issued for.
      const page = await getPage(`${t.url}/plain`);
      const keyless = await connect(t.url, {
        connectionId: page.connectionId,
      });
      await keyless.request({ id: 'p', action: 'ping' });
      // The id of one browser with the key of another.
      const other = await getPage(`${t.url}/plain`);
      const mixed = await connect(t.url, {
        connectionId: page.connectionId,
        key: other.key,
      });
      await mixed.request({ id: 'p', action: 'ping' });
      // Nest's WsAdapter hangs up on a path no gateway serves.
      const elsewhere = new WebSocket(
        `${t.url.replace('http', 'ws')}/not-realtime`,
      );
      const outcome = await new Promise<string>((resolve) => {
        elsewhere.on('error', (error) => resolve(error.message));
        elsewhere.on('open', () => resolve('open'));
      });
      expect(outcome).not.toBe('open');
      for (const client of [bare, keyless, mixed]) await client.close();
      const inert = lines.filter((line) => line.includes('(inert: '));
      expect(inert).toEqual([
        expect.stringContaining('(inert: no connection id presented)'),
        expect.stringContaining(
          '(inert: no socket key this server issued presented',
        ),
        expect.stringContaining(
          '(inert: the connection id was not issued for this key',
        ),
      ]);
      expect(lines).toContainEqual(
        expect.stringContaining(
          'WebSocket upgrade to "/not-realtime": not the realtime path "/"',
        ),
      );
      // Never the key itself.
      for (const line of lines) {
        expect(line).not.toContain(page.key as string);
        expect(line).not.toContain(other.key as string);
      }
    } finally {
      await t.close();
    }
  });
});
