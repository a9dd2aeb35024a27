import {
  Body,
  Controller,
  Get,
  HttpCode,
  type LoggerService,
  Module,
  Post,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MessageHandler,
  RealtimeModule,
  RealtimeService,
  RealtimeWsAdapter,
  type RealtimeModuleOptions,
} from '../src';
import { SLOW_CONSUMER_CLOSE_TIMEOUT } from '../src/gateway/connection-hub';
import { REALTIME_REGISTRY } from '../src/realtime.constants';
import type { MemoryRegistry } from '../src/registry/memory.registry';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp, type TestApp } from './support/app';
import { getPage, postJson } from './support/http-client';
import { connect, handshakeStatus, type TestClient } from './support/ws-client';

const RELAXED = {
  rateLimit: { messages: 100_000, interval: 1000 },
} satisfies RealtimeModuleOptions;

async function openView(
  t: { url: string },
  path = '/plain',
): Promise<{ client: TestClient; id: string; key: string }> {
  const page = await getPage(t.url + path);
  const client = await connect(t.url, {
    connectionId: page.connectionId,
    key: page.key,
  });
  return { client, id: page.connectionId as string, key: page.key as string };
}

/** The raw socket under a `ws` client: pausing it stops reading (no data, no pongs). */
function rawSocket(client: TestClient): { pause(): void; resume(): void } {
  return (
    client.ws as unknown as { _socket: { pause(): void; resume(): void } }
  )._socket;
}

@Controller('api')
class EchoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

describe('bad input never breaks the server (SPEC §4, §7)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(RELAXED, [FixtureController, EchoController]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers every malformed frame with its exact error and keeps the socket open', async () => {
    const { client } = await openView(t);
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const cases: Array<[string, unknown]> = [
      ['not json at all', { id: null, error: { code: 'bad_request' } }],
      [
        '[1,2,3]',
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'the frame must be a JSON object',
          },
        },
      ],
      [
        '"a string"',
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'the frame must be a JSON object',
          },
        },
      ],
      ['12', { id: null, error: { code: 'bad_request' } }],
      [
        '{"id":1e400,"action":"ping"}',
        {
          id: null,
          error: {
            code: 'bad_request',
            message: '"id" must be a string or a finite number',
          },
        },
      ],
      [
        '{"id":123456789012345678901234567890,"action":"ping"}',
        { id: 1.2345678901234568e29, payload: 'pong' },
      ],
      [
        `{"id":"deep","action":"ping","nested":${deep}}`,
        { id: 'deep', payload: 'pong' },
      ],
      ['{"action":"ping"}', { id: null, error: { code: 'bad_request' } }],
      [
        '{"id":true,"action":"ping"}',
        { id: null, error: { code: 'bad_request' } },
      ],
      [
        '{"id":"a"}',
        {
          id: 'a',
          error: {
            code: 'bad_request',
            message: '"action" must be a non-empty string',
          },
        },
      ],
      ['{"id":"b","action":""}', { id: 'b', error: { code: 'bad_request' } }],
      [
        '{"id":"c","action":["ping"]}',
        { id: 'c', error: { code: 'bad_request' } },
      ],
      [
        '{"id":"d","action":"constructor"}',
        { id: 'd', error: { code: 'unknown_action' } },
      ],
      [
        '{"id":"e","action":"toString"}',
        { id: 'e', error: { code: 'unknown_action' } },
      ],
      [
        '{"id":"f","action":"call-route","method":"GET\\r\\nX-Injected: 1","uri":"/json"}',
        { id: 'f', error: { code: 'bad_request' } },
      ],
      [
        '{"id":"g","action":"call-route","method":"GET","uri":"/json HTTP/1.1\\r\\nHost: evil"}',
        { id: 'g', error: { code: 'bad_request' } },
      ],
    ];
    for (const [frame, expected] of cases) {
      client.sendRaw(frame);
      expect(await client.next()).toMatchObject(expected as object);
    }
    client.sendRaw(Buffer.from('{"id":1,"action":"ping"}'), true);
    expect(await client.next()).toMatchObject({
      id: null,
      error: { code: 'bad_request' },
    });
    expect(client.closeCode).toBeUndefined();
    await client.close();
  });

  it('prototype-pollution keys in messages and call-route input pollute nothing', async () => {
    const { client } = await openView(t);
    client.sendRaw(
      '{"id":"p1","action":"ping","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    );
    expect(await client.next()).toEqual({ id: 'p1', payload: 'pong' });
    const input = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"ok":1}',
    );
    const reply = await client.request({
      id: 'p2',
      action: 'call-route',
      method: 'POST',
      uri: '/api/echo',
      input,
    });
    expect(reply).toMatchObject({ id: 'p2', payload: { status: 200 } });
    const get = await client.request({
      id: 'p3',
      action: 'call-route',
      method: 'GET',
      uri: '/json',
      input,
    });
    expect(get).toMatchObject({ id: 'p3', payload: { status: 200 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(
      (Object.prototype as Record<string, unknown>).polluted,
    ).toBeUndefined();
    await client.close();
  });

  it('a frame split into 10,000 fragments is reassembled and answered', async () => {
    const { client } = await openView(t);
    const text = JSON.stringify({ id: 'frag', action: 'ping' }).padEnd(
      10_000,
      ' ',
    );
    for (let i = 0; i < text.length; i++)
      client.ws.send(text[i], { fin: i === text.length - 1, binary: false });
    expect(await client.next(10_000)).toEqual({ id: 'frag', payload: 'pong' });
    await client.close();
  });

  it('a frame of maxPayload + 1 bytes closes the socket with 1009', async () => {
    const { client } = await openView(t);
    client.sendRaw(
      JSON.stringify({
        id: 1,
        action: 'ping',
        pad: 'x'.repeat(64 * 1024),
      }).slice(0, 64 * 1024 + 1),
    );
    expect(await client.whenClosed()).toBe(1009);
  });

  it('invalid UTF-8 in a text frame closes the socket with 1007', async () => {
    const { client } = await openView(t);
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await client.whenClosed()).toBe(1007);
  });

  it('a 1 MB call-route uri: 1009 under the default maxPayload, bad_request when the frame is allowed', async () => {
    const uri = '/' + 'a'.repeat(1024 * 1024);
    const small = await openView(t);
    small.client.sendRaw(
      JSON.stringify({ id: 'u', action: 'call-route', method: 'GET', uri }),
    );
    expect(await small.client.whenClosed()).toBe(1009);

    const big = await startApp({ ...RELAXED, maxPayload: 2 * 1024 * 1024 });
    try {
      const { client } = await openView(big);
      const reply = await client.request({
        id: 'u',
        action: 'call-route',
        method: 'GET',
        uri,
      });
      expect(reply).toMatchObject({
        id: 'u',
        error: {
          code: 'bad_request',
          message: '"uri" must be at most 8192 characters',
        },
      });
      await client.close();
    } finally {
      await big.close();
    }
  });

  it('after oversize and bad-UTF-8 closes, a normal client on the same server still works; each close is counted', async () => {
    const before = t.realtime.stats().closes;
    const big = await openView(t);
    big.client.sendRaw('x'.repeat(64 * 1024 + 1));
    expect(await big.client.whenClosed()).toBe(1009);
    const bad = await openView(t);
    bad.client.ws.send(Buffer.from([0xff]), { binary: false });
    expect(await bad.client.whenClosed()).toBe(1007);
    const { client } = await openView(t, '/room/after');
    await t.realtime.push('fine', 'room:after');
    expect(await client.next()).toEqual({
      channel: 'room:after',
      payload: 'fine',
    });
    expect(await client.request({ id: 1, action: 'ping' })).toEqual({
      id: 1,
      payload: 'pong',
    });
    await expect
      .poll(() => t.realtime.stats().closes.invalid_payload ?? 0, {
        timeout: 3000,
      })
      .toBe((before.invalid_payload ?? 0) + 1);
    await expect
      .poll(() => t.realtime.stats().closes.message_too_big ?? 0, {
        timeout: 3000,
      })
      .toBe((before.message_too_big ?? 0) + 1);
    await client.close();
  });
});

describe('slow consumers (maxBufferedBytes → 4000)', () => {
  const MAX = 256 * 1024;
  const text = 'x'.repeat(20_000);
  const frameBytes = (i: number) =>
    Buffer.byteLength(
      JSON.stringify({ channel: 'room:feed', payload: { i, text } }),
    );

  /** Captures warn lines (the slow-consumer close logs its backlog). */
  function warnings(): { lines: string[]; logger: LoggerService } {
    const lines: string[] = [];
    const none = () => undefined;
    return {
      lines,
      logger: {
        log: none,
        error: none,
        debug: none,
        verbose: none,
        warn: (m: unknown) => lines.push(String(m)),
      },
    };
  }

  /** Pushes `count` 20 KB messages; the fast clients read as they come, in order. */
  async function pushAndRead(
    t: TestApp,
    fast: Array<{ client: TestClient }>,
    count: number,
    onPushed: () => void = () => undefined,
  ): Promise<void> {
    const received = fast.map(() => 0);
    for (let i = 0; i < count; i++) {
      await t.realtime.push({ i, text }, 'room:feed');
      onPushed();
      // Let the fast clients read (they share this process with the server).
      await new Promise((resolve) => setImmediate(resolve));
      for (const [n, { client }] of fast.entries()) {
        while (client.frames.length > 0) {
          const frame = JSON.parse(client.frames.shift() as string) as {
            payload: { i: number };
          };
          expect(frame.payload.i).toBe(received[n]++);
        }
      }
    }
    for (const [n, { client }] of fast.entries()) {
      while (received[n] < count)
        expect(((await client.next()).payload as { i: number }).i).toBe(
          received[n]++,
        );
    }
  }

  it('closes the client that stops reading at the limit exactly; the others receive all 1,000 messages', async () => {
    const { lines, logger } = warnings();
    const t = await startApp(
      { ...RELAXED, maxBufferedBytes: MAX },
      [FixtureController],
      [],
      { logger },
    );
    try {
      const fast = [
        await openView(t, '/room/feed'),
        await openView(t, '/room/feed'),
      ];
      const slow = await openView(t, '/room/feed');
      const outBefore = t.realtime.stats().messagesOut;
      rawSocket(slow.client).pause();
      // 20 KB each: 20 MB in all, far more than the loopback kernel buffers hold.
      await pushAndRead(t, fast, 1000);
      expect(t.realtime.stats().slowConsumerCloses).toBe(1);
      // Detected at the first write past the limit: the backlog is over it by less than a frame.
      const line = lines.find((l) => l.includes('Closed a slow consumer'));
      const backlog = Number(/backlog of (\d+) bytes/.exec(line ?? '')?.[1]);
      expect(backlog).toBeGreaterThan(MAX);
      expect(backlog).toBeLessThanOrEqual(MAX + frameBytes(999) + 14);
      expect(line).toContain(slow.id);
      rawSocket(slow.client).resume();
      expect(await slow.client.whenClosed()).toBe(4000);
      // What it got runs unbroken from the first message: nothing skipped, nothing after the cut.
      const got = slow.client.frames.map(
        (f) => (JSON.parse(f) as { payload: { i: number } }).payload.i,
      );
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(got.map((_, i) => i));
      // Every frame the server wrote was received: 1,000 to each fast client, `got` to the slow one.
      expect(t.realtime.stats().messagesOut - outBefore).toBe(
        2 * 1000 + got.length,
      );
      await expect
        .poll(() => t.realtime.stats().closes.slow_consumer, { timeout: 3000 })
        .toBe(1);
      await Promise.all(fast.map((v) => v.client.close()));
    } finally {
      await t.close();
    }
  });

  it(`drops a slow consumer whose closing handshake has not completed ${SLOW_CONSUMER_CLOSE_TIMEOUT} ms after the close`, async () => {
    const t = await startApp({ ...RELAXED, maxBufferedBytes: MAX });
    try {
      const fast = [await openView(t, '/room/feed')];
      const slow = await openView(t, '/room/feed');
      rawSocket(slow.client).pause();
      // Only the slow-consumer timer is faked: sockets, ws and Nest keep real time.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        await pushAndRead(t, fast, 400);
        expect(t.realtime.stats().slowConsumerCloses).toBe(1);
        vi.advanceTimersByTime(SLOW_CONSUMER_CLOSE_TIMEOUT - 1);
        await turns(20);
        // It left the fan-out at once, but its socket is not closed yet.
        expect(t.realtime.stats().closes.slow_consumer).toBeUndefined();
        vi.advanceTimersByTime(1);
        const closed = () => t.realtime.stats().closes.slow_consumer;
        for (let i = 0; i < 10_000 && closed() === undefined; i++)
          await turns(1);
      } finally {
        vi.useRealTimers();
      }
      expect(t.realtime.stats().closes.slow_consumer).toBe(1);
      rawSocket(slow.client).resume();
      // Dropped, not closed: its close frame never got out from behind the backlog.
      expect(await slow.client.whenClosed()).toBe(1006);
      await fast[0].client.close();
    } finally {
      await t.close();
    }
  });
});

/** Lets `n` turns of the event loop run (I/O callbacks included). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await new Promise((resolve) => setImmediate(resolve));
}

describe('flood (rateLimit → rate_limited, then 1008)', () => {
  it('a client sending as fast as it can is refused, then closed; others are unaffected', async () => {
    const t = await startApp({
      rateLimit: { messages: 100, interval: 60_000, closeAfter: 3 },
    });
    try {
      const other = await openView(t, '/room/calm');
      const flooder = await openView(t);
      for (let i = 0; i < 5000 && flooder.client.ws.readyState === 1; i++)
        flooder.client.sendRaw(JSON.stringify({ id: i, action: 'ping' }));
      expect(await flooder.client.whenClosed()).toBe(1008);
      const frames = flooder.client.frames.map(
        (f) =>
          JSON.parse(f) as {
            id: number;
            payload?: string;
            error?: { code: string };
          },
      );
      // The first 100 requests were within budget; the next three were refused, the third
      // closing the socket. (Replies still in flight when it closed are lost with it.)
      const refused = frames.filter((f) => f.error?.code === 'rate_limited');
      expect(refused.map((f) => f.id)).toEqual([100, 101, 102]);
      expect(
        frames.filter((f) => f.payload === 'pong').every((f) => f.id < 100),
      ).toBe(true);
      expect(
        await other.client.request({ id: 'calm', action: 'ping' }),
      ).toEqual({ id: 'calm', payload: 'pong' });
      await t.realtime.push('still', 'room:calm');
      expect(await other.client.next()).toEqual({
        channel: 'room:calm',
        payload: 'still',
      });
      expect(t.realtime.stats().closes.rate_limited).toBe(1);
      await other.client.close();
    } finally {
      await t.close();
    }
  });
});

describe('heartbeat', () => {
  it('terminates a client that stops answering pings within two intervals; live ones stay', async () => {
    const t = await startApp({ heartbeatInterval: 150 });
    try {
      const live = await openView(t);
      const dead = await openView(t);
      // Heartbeat ticks, counted by the pings the live client gets from the pause on.
      let ticks = 0;
      live.client.ws.on('ping', () => ticks++);
      const gone = new Promise<number>((resolve) => {
        const sub = t.realtime.events$.subscribe((e) => {
          if (e.type === 'disconnect' && e.connectionId === dead.id) {
            sub.unsubscribe();
            resolve(ticks);
          }
        });
      });
      rawSocket(dead.client).pause();
      // The tick after the one it did not answer terminates it: at most two ticks.
      expect(await gone).toBeLessThanOrEqual(2);
      expect(t.realtime.stats().closes.heartbeat_timeout).toBe(1);
      // The live client answered the same pings and is still served.
      expect(
        await live.client.request({ id: 'alive', action: 'ping' }),
      ).toEqual({ id: 'alive', payload: 'pong' });
      await live.client.close();
    } finally {
      await t.close();
    }
  });
});

describe('connection caps', () => {
  it('maxConnectionsPerClient answers 429, maxConnections 503, and places free up on close', async () => {
    const t = await startApp({ maxConnectionsPerClient: 2, maxConnections: 3 });
    try {
      const page = await getPage(`${t.url}/plain`);
      const creds = { connectionId: page.connectionId, key: page.key };
      const one = await connect(t.url, creds);
      const two = await connect(t.url, creds);
      expect(await handshakeStatus(t.url, creds)).toBe(429);
      const other = await openView(t);
      expect(await handshakeStatus(t.url, { key: 'k'.repeat(43) })).toBe(503);
      await one.close();
      await expect
        .poll(() => t.realtime.stats().connections, { timeout: 3000 })
        .toBe(2);
      expect(await handshakeStatus(t.url, creds)).toBe(101);
      const rejections = t.realtime.stats().rejections;
      expect(rejections.client_cap).toBe(1);
      expect(rejections.global_cap).toBe(1);
      await Promise.all([two.close(), other.client.close()]);
    } finally {
      await t.close();
    }
  });
});

@MessageHandler('slow-reply')
class SlowReplyHandler {
  static started: () => void = () => undefined;
  async handle(): Promise<string> {
    SlowReplyHandler.started();
    await new Promise((resolve) => setTimeout(resolve, 300));
    return 'finished';
  }
}

describe('graceful shutdown', () => {
  it('200 clients get 1001 after in-flight replies finish; the registry holds nothing afterwards', async () => {
    @Module({
      imports: [
        RealtimeModule.forRoot({
          shutdownTimeout: 5000,
          maxConnectionsPerAddress: 1000,
        }),
      ],
      controllers: [FixtureController],
      providers: [SlowReplyHandler],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new RealtimeWsAdapter(app));
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const registry = app.get<MemoryRegistry>(REALTIME_REGISTRY);
    const unhandled: unknown[] = [];
    const onUnhandled = (error: unknown) => unhandled.push(error);
    process.on('unhandledRejection', onUnhandled);
    try {
      const clients: TestClient[] = [];
      for (let i = 0; i < 200; i++)
        clients.push((await openView({ url }, `/room/r${i % 10}`)).client);
      expect(app.get(RealtimeService).stats().connections).toBe(200);
      const handlerStarted = new Promise<void>(
        (resolve) => (SlowReplyHandler.started = resolve),
      );
      clients[0].sendRaw(JSON.stringify({ id: 'slow', action: 'slow-reply' }));
      await handlerStarted;
      const started = Date.now();
      await app.close();
      expect(Date.now() - started).toBeLessThan(5000);
      const codes = await Promise.all(clients.map((c) => c.whenClosed()));
      expect(codes.every((code) => code === 1001)).toBe(true);
      // The in-flight reply came before the close.
      expect(clients[0].frames.map((f) => JSON.parse(f))).toContainEqual({
        id: 'slow',
        payload: 'finished',
      });
      expect(registry.size).toBe(0);
      // New handshakes are refused once shutdown began (the server is closed now).
      await expect(handshakeStatus(url, {})).rejects.toThrow();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('call-route cannot reach another client view', () => {
  it("presenting a victim's id in call-route input changes only the caller's own view", async () => {
    const t = await startApp(RELAXED);
    try {
      const victim = await openView(t, '/room/victim');
      const attacker = await openView(t);
      const unsub = await attacker.client.request({
        id: 1,
        action: 'call-route',
        method: 'POST',
        uri: '/unsubscribe',
        input: { channels: ['room:victim'], socket_connection_id: victim.id },
      });
      expect(unsub).toMatchObject({ payload: { status: 200 } });
      const sub = await attacker.client.request({
        id: 2,
        action: 'call-route',
        method: 'POST',
        uri: '/subscribe?socket_connection_id=' + victim.id,
        input: { channels: ['attacker-only'], socket_connection_id: victim.id },
      });
      expect(
        (sub.payload as { body: { connectionId: string } }).body.connectionId,
      ).toBe(attacker.id);
      await t.realtime.push('to victim', 'room:victim');
      await t.realtime.push('to attacker', 'attacker-only');
      expect(await victim.client.next()).toEqual({
        channel: 'room:victim',
        payload: 'to victim',
      });
      expect(await attacker.client.next()).toEqual({
        channel: 'attacker-only',
        payload: 'to attacker',
      });
      const http = await postJson(
        `${t.url}/subscribe`,
        { channels: ['x'] },
        attacker.key,
        victim.id,
      );
      expect((http.body as { connectionId: string }).connectionId).not.toBe(
        victim.id,
      );
      await Promise.all([victim.client.close(), attacker.client.close()]);
    } finally {
      await t.close();
    }
  });
});

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
    @Module({
      imports: [
        RealtimeModule.forRoot({
          rateLimit: { messages: 2, interval: 60_000, closeAfter: 1 },
          maxConnectionsPerClient: 1,
        }),
      ],
      controllers: [FixtureController, WhoController],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
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
