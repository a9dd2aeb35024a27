import { Controller, Get } from '@nestjs/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './support/app';
import { getPage } from './support/http-client';
import { connect, type TestClient } from './support/ws-client';

@Controller()
class FuzzController {
  @Get('page')
  page(): string {
    return '<html><body>fuzz</body></html>';
  }

  @Get('json')
  json(): { ok: boolean } {
    return { ok: true };
  }
}

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
    await fc.assert(
      fc.asyncProperty(frame, async ({ data, binary }) => {
        client.sendRaw(data, binary);
        const reply = await client.next(5000);
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
      { seed: 20261122, numRuns: 400, interruptAfterTimeLimit: 60_000 },
    );
    expect(client.closeCode).toBeUndefined();
    expect(unhandled).toEqual([]);
  }, 90_000);
});
