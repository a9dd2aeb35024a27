import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Header,
} from '@nestjs/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealtimeError, RealtimeService } from '../src';
import { startApp, type TestApp } from './support/app';
import { getPage } from './support/http-client';
import { connect, type TestClient } from './support/ws-client';

@Controller()
class FuzzController {
  @Get('page')
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return '<html><body>fuzz</body></html>';
  }

  @Get('json')
  json(): { ok: boolean } {
    return { ok: true };
  }
}

/** Channel names from the client reach every channel API; refusals must be clean 400s. */
@Controller()
class ChannelFuzzController {
  constructor(private readonly realtime: RealtimeService) {}

  @Post('channels')
  @HttpCode(200)
  async channels(
    @Body() body: { op?: unknown; channels?: unknown },
  ): Promise<{ ok: true }> {
    // A view of its own (no socket): the fuzzing client must receive no pushes.
    const socket = this.realtime.socket({ headers: {}, url: '/' } as never);
    const channels = body?.channels as string[];
    try {
      if (body?.op === 'subscribe') await socket.subscribe(channels);
      else if (body?.op === 'unsubscribe') await socket.unsubscribe(channels);
      else if (body?.op === 'push') await this.realtime.push('f', channels);
      else if (body?.op === 'pushMatching')
        await this.realtime.pushMatching('f', channels);
      else await socket.send('f', channels?.[0]);
    } catch (error) {
      if (error instanceof RealtimeError)
        throw new BadRequestException(error.code);
      throw error;
    }
    return { ok: true };
  }
}

const channelName = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('a', '*', ';', ':'), maxLength: 40 }),
  fc.integer({ min: 250, max: 260 }).map((n) => 'c'.repeat(n)),
  fc.constantFrom('', '*', 'room:*', 'a'.repeat(256), 'a'.repeat(257)),
  fc.jsonValue(),
);
/** call-route frames that hand random channel names to subscribe, push, pushMatching and send. */
const channelCall = fc
  .record({
    id: fc.string(),
    op: fc.constantFrom(
      'subscribe',
      'unsubscribe',
      'push',
      'pushMatching',
      'send',
    ),
    channels: fc.array(channelName, { maxLength: 5 }),
  })
  .map(({ id, op, channels }) => ({
    data: JSON.stringify({
      id,
      action: 'call-route',
      method: 'POST',
      uri: '/channels',
      input: { op, channels },
    }) as string | Buffer,
    binary: false,
    channels: true,
  }));

const id = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  fc.object(),
);
const action = fc.oneof(
  fc.constantFrom(
    'ping',
    'call-route',
    'unknown',
    '',
    '__proto__',
    'constructor',
  ),
  fc.string(),
);
const method = fc.oneof(
  fc.constantFrom(
    'GET',
    'POST',
    'put',
    'DELETE',
    'HEAD',
    'TRACE',
    'GET\r\nX: y',
  ),
  fc.string(),
  fc.integer(),
);
const uri = fc.oneof(
  fc.constantFrom(
    '/json',
    '/page',
    '/nope',
    '//evil',
    'http://x/',
    '/a b',
    '/%00',
    '/json?x=1',
  ),
  fc.string(),
  fc.webPath(),
);
const request = fc.record(
  { id, action, method, uri, input: fc.jsonValue(), extra: fc.jsonValue() },
  { requiredKeys: [] },
);
/** Frames of every shape: requests, arbitrary JSON, arbitrary text, binary. */
const frame = fc.oneof(
  channelCall,
  request.map((r) => ({
    data: JSON.stringify(r) as string | Buffer,
    binary: false,
  })),
  fc.json().map((data) => ({ data: data as string | Buffer, binary: false })),
  fc
    .string({ maxLength: 200 })
    .map((data) => ({ data: data as string | Buffer, binary: false })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({
    data: Buffer.from(bytes) as string | Buffer,
    binary: true,
  })),
);

describe('fuzz: frame parser and dispatcher (fast-check, fixed seed)', () => {
  let t: TestApp;
  let client: TestClient;
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown) => unhandled.push(error);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    t = await startApp({ rateLimit: { messages: 1_000_000, interval: 1000 } }, [
      FuzzController,
      ChannelFuzzController,
    ]);
    const page = await getPage(`${t.url}/page`);
    client = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
  });

  afterAll(async () => {
    await client?.close();
    await t?.close();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  it('every frame gets exactly one reply or error frame; nothing crashes or leaks a rejection', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (sent) => {
        runs++;
        client.sendRaw(sent.data, sent.binary);
        const reply = await client.next(5000);
        if ('channels' in sent) {
          // Bad names are the route's 400 with a RealtimeError code, never a crash (500).
          const payload = reply.payload as { status: number; body: unknown };
          expect([200, 400]).toContain(payload.status);
          if (payload.status === 400)
            expect([
              'invalid_channel',
              'no_channels',
              'too_many_channels',
            ]).toContain((payload.body as { message: string }).message);
        }
        expect(Object.keys(reply).sort()).toEqual(
          expect.arrayContaining(['id']),
        );
        expect('payload' in reply || 'error' in reply).toBe(true);
        if ('error' in reply) {
          expect([
            'bad_request',
            'unknown_action',
            'unauthorized',
            'handler_error',
          ]).toContain((reply.error as { code: string }).code);
        }
        // A marker proves no second frame belonged to this one.
        client.sendRaw('{"id":"marker","action":"ping"}');
        expect(await client.next(5000)).toEqual({
          id: 'marker',
          payload: 'pong',
        });
      }),
      {
        seed: 20261122,
        numRuns: 400,
        interruptAfterTimeLimit: 60_000,
        // A run cut short by the time limit fails: the README promises 400 frames.
        markInterruptAsFailure: true,
      },
    );
    expect(runs).toBe(400);
    expect(client.closeCode).toBeUndefined();
    expect(unhandled).toEqual([]);
  }, 90_000);
});
