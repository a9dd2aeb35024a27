import { Controller, Get } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp } from './support/app';
import { openView } from './support/views';
import { handshakeStatus } from './support/ws-client';

describe('logs', () => {
  it('never contain a socket key, a digest or a message body', async () => {
    const lines: string[] = [];
    const logger = {
      log: (m: unknown) => lines.push(String(m)),
      error: (m: unknown, ...rest: unknown[]) =>
        lines.push([m, ...rest].map(String).join(' ')),
      warn: (m: unknown) => lines.push(String(m)),
      debug: (m: unknown) => lines.push(String(m)),
      verbose: (m: unknown) => lines.push(String(m)),
    };
    @Controller()
    class WhoController {
      @Get('noop')
      noop(): string {
        return 'ok';
      }
    }
    const { app, url } = await startApp(
      {
        rateLimit: { messages: 2, interval: 60_000, closeAfter: 1 },
        maxConnectionsPerClient: 1,
      },
      [FixtureController, WhoController],
      [],
      { logger, adapter: false },
    );
    try {
      const { client, id, key } = await openView({ url }, '/room/logs');
      const digest = (
        (await (
          await fetch(`${url}/whoami`, {
            headers: {
              cookie: `realtime_key=${key}`,
              'x-socket-connection-id': id,
            },
          })
        ).json()) as { digest: string }
      ).digest;
      expect(await handshakeStatus(url, { connectionId: id, key })).toBe(429);
      expect(
        await handshakeStatus(url, {
          connectionId: id,
          key,
          origin: 'http://evil.example',
        }),
      ).toBe(403);
      for (let i = 0; i < 4; i++)
        client.sendRaw(
          JSON.stringify({ id: i, action: 'ping', body: 'SECRET-BODY' }),
        );
      expect(await client.whenClosed()).toBe(1008);
      // Rejections and closes name the connection id and the client address.
      expect(
        lines.some(
          (l) =>
            l.includes('rate limit') &&
            l.includes(id) &&
            l.includes('from 127.0.0.1'),
        ),
      ).toBe(true);
      expect(
        lines.some(
          (l) => l.includes('client_cap') && l.includes('from 127.0.0.1'),
        ),
      ).toBe(true);
      expect(
        lines.some((l) => l.includes('origin') && l.includes('evil.example')),
      ).toBe(true);
      const all = lines.join('\n');
      expect(all).not.toContain(key);
      expect(all).not.toContain(digest);
      expect(all).not.toContain('SECRET-BODY');
    } finally {
      await app.close();
    }
  });
});
