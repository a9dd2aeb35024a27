import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  Module,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from 'vitest';
import {
  MessageHandler,
  RealtimeDigestGuard,
  RealtimeModule,
  type RealtimeContext,
  type RealtimeMessage,
} from '../src';
import { FixtureController } from './fixtures/fixture.controller';
import {
  ApiController,
  EchoHandler,
  EndlessHandler,
  GreetingService,
  HANDLERS,
  ScopedHandler,
  TokenGuard,
} from './fixtures/handlers.fixture';
import { startApp, type TestApp } from './support/app';
import { getPage } from './support/http-client';
import { connect, type TestClient } from './support/ws-client';

async function openView(
  t: TestApp,
  path = '/plain',
  cookie?: string,
): Promise<{ client: TestClient; id: string; key: string }> {
  const page = await getPage(t.url + path);
  const client = await connect(t.url, {
    connectionId: page.connectionId,
    key: page.key,
    headers: cookie ? { cookie } : {},
  });
  return { client, id: page.connectionId as string, key: page.key as string };
}

describe('message handlers (SPEC §3, §4)', () => {
  let t: TestApp;
  let view: { client: TestClient; id: string; key: string };
  beforeAll(async () => {
    t = await startApp(
      { rateLimit: { messages: 10_000, interval: 1000 }, maxInFlight: 200 },
      [FixtureController, ApiController],
      [GreetingService, TokenGuard, ...HANDLERS],
    );
  });
  // Every test gets a connection of its own: none depends on what an earlier one left.
  beforeEach(async () => {
    view = await openView(t);
  });
  afterEach(async () => {
    await view.client.close();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a custom handler uses DI and gets the message and the context', async () => {
    expect(
      await view.client.request({ id: 'e1', action: 'echo', name: 'ada' }),
    ).toEqual({
      id: 'e1',
      payload: {
        greeting: 'hello ada',
        connectionId: view.id,
        viaSocket: true,
        hasService: true,
      },
    });
  });

  it("a handler sees the upgrade request's method, URL and headers, without the handshake's own", async () => {
    const page = await getPage(`${t.url}/plain`);
    const client = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
      headers: { 'user-agent': 'agent/1.0' },
    });
    try {
      const reply = await client.request({ id: 'r', action: 'request-info' });
      expect(reply).toEqual({
        id: 'r',
        payload: {
          method: 'GET',
          url: expect.stringContaining(
            `socket_connection_id=${encodeURIComponent(page.connectionId as string)}`,
          ),
          // connection, upgrade and sec-websocket-key/-version/-extensions were used up by the upgrade.
          headers: ['cookie', 'host', 'user-agent'],
          ua: 'agent/1.0',
        },
      });
    } finally {
      await client.close();
    }
  });

  it('async handlers reply when they resolve; ping answers pong', async () => {
    expect(await view.client.request({ id: 2, action: 'slow', n: 5 })).toEqual({
      id: 2,
      payload: { n: 5 },
    });
    expect(await view.client.request({ id: 3, action: 'ping' })).toEqual({
      id: 3,
      payload: 'pong',
    });
  });

  it('an Observable sends one reply per emission with the same id and nothing at completion', async () => {
    view.client.sendRaw(
      JSON.stringify({ id: 'c', action: 'count', factor: 10 }),
    );
    expect(await view.client.next()).toEqual({ id: 'c', payload: 10 });
    expect(await view.client.next()).toEqual({ id: 'c', payload: 20 });
    expect(await view.client.next()).toEqual({ id: 'c', payload: 30 });
    // The next frame is the reply to a later request: no completion frame came in between.
    expect(await view.client.request({ id: 'after', action: 'ping' })).toEqual({
      id: 'after',
      payload: 'pong',
    });
  });

  it('an erroring Observable sends its emissions, then one error frame', async () => {
    view.client.sendRaw(JSON.stringify({ id: 'sf', action: 'stream-fail' }));
    expect(await view.client.next()).toEqual({ id: 'sf', payload: 'first' });
    expect(await view.client.next()).toEqual({
      id: 'sf',
      error: { code: 'stream_broke', message: 'the stream broke' },
    });
  });

  it('interceptors see every emission of a streamed reply', async () => {
    view.client.sendRaw(JSON.stringify({ id: 'i', action: 'intercepted' }));
    expect(await view.client.next()).toEqual({
      id: 'i',
      payload: { wrapped: 1 },
    });
    expect(await view.client.next()).toEqual({
      id: 'i',
      payload: { wrapped: 2 },
    });
  });

  it('@UseGuards on the class or on handle runs first; a refusal is unauthorized', async () => {
    for (const action of ['guarded', 'method-guarded']) {
      expect(await view.client.request({ id: action, action })).toMatchObject({
        id: action,
        error: { code: 'unauthorized', status: 403 },
      });
    }
    expect(
      await view.client.request({
        id: 'g',
        action: 'guarded',
        token: 'open-sesame',
      }),
    ).toEqual({ id: 'g', payload: 'welcome' });
    expect(
      await view.client.request({
        id: 'm',
        action: 'method-guarded',
        token: 'open-sesame',
      }),
    ).toEqual({ id: 'm', payload: 'method welcome' });
  });

  it('param decorators work in handle: @MessageBody, @Socket, @SocketConnectionId', async () => {
    expect(
      await view.client.request({ id: 'd', action: 'decorated', text: 'hi' }),
    ).toEqual({ id: 'd', payload: { text: 'hi', same: true } });
  });

  it('a request-scoped handler gets a fresh instance per message, with the context as REQUEST', async () => {
    const first = (await view.client.request({ id: 's1', action: 'scoped' }))
      .payload as { instance: number; connectionId: string };
    const second = (await view.client.request({ id: 's2', action: 'scoped' }))
      .payload as { instance: number; connectionId: string };
    expect(second.instance).toBe(first.instance + 1);
    expect(first.connectionId).toBe(view.id);
    // Exactly one instance per message: the counter is at the second one's number.
    expect(ScopedHandler.instances).toBe(second.instance);
  });

  it('errors become error frames: generic for plain errors, passed on for HttpException/WsException/RealtimeError', async () => {
    const cases: Array<[string, unknown]> = [
      ['plain', { code: 'handler_error', message: 'the handler failed' }],
      [
        'http',
        { code: 'handler_error', message: 'name is required', status: 400 },
      ],
      ['messages', { code: 'handler_error', message: 'a; b', status: 400 }],
      [
        'forbidden',
        { code: 'unauthorized', message: 'not yours', status: 403 },
      ],
      [
        'unauthenticated',
        { code: 'unauthorized', message: 'log in first', status: 401 },
      ],
      ['ws', { code: 'handler_error', message: 'ws says no' }],
      ['realtime', { code: 'custom_code', message: 'custom message' }],
      ['string', { code: 'handler_error', message: 'the handler failed' }],
    ];
    for (const [kind, error] of cases) {
      expect(
        await view.client.request({ id: kind, action: 'errors', kind }),
      ).toEqual({ id: kind, error });
    }
    expect(
      await view.client.request({ id: 'sync', action: 'sync-throw' }),
    ).toEqual({
      id: 'sync',
      error: { code: 'handler_error', message: 'the handler failed' },
    });
    // The connection stayed open through all of it.
    expect(await view.client.request({ id: 'alive', action: 'ping' })).toEqual({
      id: 'alive',
      payload: 'pong',
    });
    expect(view.client.closeCode).toBeUndefined();
  });

  it('a handler can subscribe its own connection', async () => {
    expect(
      await view.client.request({
        id: 'sub',
        action: 'subscribe-me',
        channel: 'handler-made',
      }),
    ).toEqual({ id: 'sub', payload: 'subscribed' });
    await t.realtime.push('from handler', 'handler-made');
    expect(await view.client.next()).toEqual({
      channel: 'handler-made',
      payload: 'from handler',
    });
  });

  it('200 concurrent in-flight requests on one connection (maxInFlight: 200) each get their own reply', async () => {
    const { client } = await openView(t);
    for (let n = 0; n < 200; n++)
      client.sendRaw(JSON.stringify({ id: `r${n}`, action: 'slow', n }));
    const replies = new Map<unknown, unknown>();
    for (let i = 0; i < 200; i++) {
      const frame = await client.next(5000);
      replies.set(frame.id, frame.payload);
    }
    expect(replies.size).toBe(200);
    for (let n = 0; n < 200; n++) expect(replies.get(`r${n}`)).toEqual({ n });
    await client.close();
  });

  it('streams end when their connection closes', async () => {
    const { client } = await openView(t);
    const before = EndlessHandler.active;
    client.sendRaw(JSON.stringify({ id: 'x', action: 'endless' }));
    expect(await client.next()).toEqual({ id: 'x', payload: 0 });
    expect(EndlessHandler.active).toBe(before + 1);
    await client.close();
    await expect
      .poll(() => EndlessHandler.active, { timeout: 3000 })
      .toBe(before);
  });
});

describe('call-route (SPEC §4)', () => {
  let t: TestApp;
  let view: { client: TestClient; id: string; key: string };
  beforeAll(async () => {
    t = await startApp(
      {},
      [FixtureController, ApiController],
      [GreetingService, TokenGuard, ...HANDLERS],
    );
  });
  beforeEach(async () => {
    view = await openView(t, '/plain', 'session=valid');
  });
  afterEach(async () => {
    await view.client.close();
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (
    method: string,
    uri: string,
    input?: unknown,
    id: string | number = uri,
  ) => view.client.request({ id, action: 'call-route', method, uri, input });

  it('GET merges input into the query; 200 with JSON body and headers', async () => {
    const reply = await call('GET', '/api/items?a=1', {
      b: 2,
      list: ['x', 'y'],
      obj: { k: 1 },
    });
    expect(reply.id).toBe('/api/items?a=1');
    const payload = reply.payload as {
      status: number;
      headers: Record<string, string>;
      body: unknown;
    };
    expect(payload.status).toBe(200);
    expect(payload.headers['content-type']).toMatch(/^application\/json/);
    expect(payload.body).toEqual({
      query: { a: '1', b: '2', list: ['x', 'y'], obj: '{"k":1}' },
    });
  });

  it('POST sends input as a JSON body through a ValidationPipe: 201 and 400', async () => {
    expect(
      (await call('POST', '/api/items', { name: 'book' })).payload,
    ).toMatchObject({ status: 201, body: { created: 'book' } });
    const bad = (await call('post', '/api/items', { name: '' }, 'bad'))
      .payload as { status: number; body: { message: string[] } };
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('name should not be empty');
  });

  it("forwards the upgrade request's cookies and Authorization: a cookie-reading auth guard passes (200) or refuses (401)", async () => {
    expect((await call('GET', '/api/me')).payload).toMatchObject({
      status: 200,
      body: { user: 'alice' },
    });
    const anonymous = await openView(t);
    const refused = await anonymous.client.request({
      id: 1,
      action: 'call-route',
      method: 'GET',
      uri: '/api/me',
    });
    expect(refused.payload).toMatchObject({
      status: 401,
      body: { message: 'log in first' },
    });
    await anonymous.client.close();
    const bearer = await (async () => {
      const page = await getPage(`${t.url}/plain`);
      return connect(t.url, {
        connectionId: page.connectionId,
        key: page.key,
        headers: { authorization: 'Bearer token' },
      });
    })();
    expect(
      (
        await bearer.request({
          id: 1,
          action: 'call-route',
          method: 'GET',
          uri: '/api/me',
        })
      ).payload,
    ).toMatchObject({ status: 200 });
    await bearer.close();
  });

  it('404 and 500 are normal replies; text bodies come back as text; Set-Cookie is never handed to the page', async () => {
    expect((await call('GET', '/api/nowhere')).payload).toMatchObject({
      status: 404,
    });
    const boom = (await call('GET', '/api/boom')).payload as {
      status: number;
      body: unknown;
    };
    expect(boom.status).toBe(500);
    expect(JSON.stringify(boom.body)).not.toContain('route internals');
    expect((await call('GET', '/api/text')).payload).toMatchObject({
      status: 200,
      headers: { 'x-custom': 'yes' },
      body: 'plain text',
    });
    const cookie = (await call('GET', '/api/set-cookie')).payload as {
      headers: Record<string, unknown>;
    };
    expect(cookie.headers['set-cookie']).toBeUndefined();
  });

  it('the route sees the forwarded headers but never the internal call header', async () => {
    const body = (
      (await call('GET', '/api/headers')).payload as {
        body: Record<string, unknown>;
      }
    ).body;
    expect(body.cookie).toContain('session=valid');
    expect(body.call).toBeNull();
    expect(body.ip).toBe('127.0.0.1');
  });

  it("forwards the upgrade request's Host, User-Agent and Accept-Language", async () => {
    const page = await getPage(`${t.url}/plain`);
    const client = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
      headers: { 'user-agent': 'agent/1.0', 'accept-language': 'fr-CH' },
    });
    const reply = await client.request({
      id: 1,
      action: 'call-route',
      method: 'GET',
      uri: '/api/headers',
    });
    expect((reply.payload as { body: unknown }).body).toMatchObject({
      host: new URL(t.url).host,
      userAgent: 'agent/1.0',
      acceptLanguage: 'fr-CH',
    });
    await client.close();
  });

  it.each(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])(
    'calls the route with method %s',
    async (method) => {
      const payload = (await call(method, '/api/method', { x: 1 })).payload as {
        status: number;
        headers: Record<string, string>;
        body: unknown;
      };
      expect(payload.status).toBe(200);
      expect(payload.headers['x-method']).toBe(method);
      expect(payload.body).toEqual(method === 'HEAD' ? null : { method });
    },
  );

  it('hop-by-hop headers of the reply are not passed on', async () => {
    const payload = (await call('GET', '/api/hop')).payload as {
      status: number;
      headers: Record<string, string>;
      body: unknown;
    };
    expect(payload.status).toBe(200);
    expect(payload.body).toBe('chunk one, chunk two');
    expect(payload.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of ['connection', 'keep-alive', 'transfer-encoding'])
      expect(payload.headers).not.toHaveProperty(name);
  });

  it('a route that subscribes over call-route subscribes the live connection at once', async () => {
    const reply = await call('POST', '/api/subscribe', {
      channel: 'via-route',
    });
    expect(reply.payload).toMatchObject({
      status: 200,
      body: { connectionId: view.id, viaSocket: true },
    });
    await t.realtime.push('route made this', 'via-route');
    expect(await view.client.next()).toEqual({
      channel: 'via-route',
      payload: 'route made this',
    });
  });

  it('real HTTP requests keep working after in-process calls (Express prototypes untouched)', async () => {
    expect(
      (await call('POST', '/api/items', { name: 'first' })).payload,
    ).toMatchObject({ status: 201 });
    const res = await fetch(`${t.url}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'real' }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ created: 'real' });
  });

  it('an HTTP client cannot pose as a socket call with a forged call header', async () => {
    const res = await fetch(`${t.url}/whoami`, {
      headers: { 'x-realtime-call': '00000000-0000-4000-8000-000000000000' },
    });
    expect(((await res.json()) as { viaSocket: boolean }).viaSocket).toBe(
      false,
    );
  });

  it('bad call-route requests get bad_request', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ method: 'TRACE', uri: '/api/items' }, '"method" must be one of'],
      [{ method: 42, uri: '/api/items' }, '"method" must be one of'],
      [{ method: 'GET', uri: 'http://evil.example/' }, '"uri" must be a path'],
      [{ method: 'GET', uri: '//evil.example/' }, '"uri" must be a path'],
      [{ method: 'GET', uri: '/a\r\nX-Injected: 1' }, 'control characters'],
      [{ method: 'GET', uri: '/' + 'a'.repeat(9000) }, 'at most 8192'],
      [
        { method: 'GET', uri: '/api/items', input: [1, 2] },
        '"input" of a GET must be an object',
      ],
    ];
    for (const [fields, message] of cases) {
      const reply = await view.client.request({
        id: 'bad',
        action: 'call-route',
        ...fields,
      });
      expect(reply).toMatchObject({
        id: 'bad',
        error: { code: 'bad_request' },
      });
      expect((reply.error as { message: string }).message).toContain(message);
    }
  });
});

@Injectable()
class BlockWsGuard implements CanActivate {
  static seen: string[] = [];
  canActivate(context: ExecutionContext): boolean {
    BlockWsGuard.seen.push(context.getType());
    if (context.getType() !== 'ws') return true; // the documented way to exempt socket messages
    return context.switchToWs().getData<RealtimeMessage>().block !== true;
  }
}

class StrictDigestGuard extends RealtimeDigestGuard {
  protected override isAuthorized(
    realtime: RealtimeContext | undefined,
    message: RealtimeMessage,
    context: ExecutionContext,
  ) {
    return (
      message.action !== 'echo' &&
      super.isAuthorized(realtime, message, context)
    );
  }
}

describe('global guards, custom digest guard, replaced bundled handlers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(
      { digestGuard: StrictDigestGuard, replaceBundledHandlers: ['ping'] },
      [FixtureController, ApiController],
      [
        GreetingService,
        EchoHandler,
        CustomPing,
        { provide: APP_GUARD, useClass: BlockWsGuard },
      ],
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('global guards run for user handlers (ws context), not for bundled ones; the digest guard can be extended', async () => {
    const { client } = await openView(t);
    expect(
      await client.request({ id: 1, action: 'echo', name: 'x' }),
    ).toMatchObject({ id: 1, error: { code: 'unauthorized' } });
    // The replacing ping is a user handler: the global guard sees it in a ws context.
    expect(await client.request({ id: 2, action: 'ping' })).toEqual({
      id: 2,
      payload: 'custom pong',
    });
    expect(
      await client.request({ id: 4, action: 'ping', block: true }),
    ).toMatchObject({ id: 4, error: { code: 'unauthorized', status: 403 } });
    BlockWsGuard.seen = [];
    expect(
      await client.request({
        id: 3,
        action: 'call-route',
        method: 'GET',
        uri: '/api/text',
        block: true,
      }),
    ).toMatchObject({ payload: { status: 200 } });
    expect(BlockWsGuard.seen).toEqual(['http']); // the route's own HTTP pipeline, nothing at socket level
    await client.close();
  });
});

@MessageHandler('ping')
class CustomPing {
  handle(): string {
    return 'custom pong';
  }
}

@MessageHandler('echo')
class SecondEcho {
  handle(): string {
    return 'second';
  }
}

describe('boot-time checks', () => {
  async function boot(providers: unknown[], options = {}): Promise<unknown> {
    @Module({
      imports: [RealtimeModule.forRoot(options)],
      providers: providers as never[],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();
    const app = moduleRef.createNestApplication({
      logger: false,
      abortOnError: false,
    });
    try {
      await app.init();
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await app.close().catch(() => undefined);
    }
  }

  it('two handlers for one action fail boot naming both classes', async () => {
    const error = (await boot([
      GreetingService,
      EchoHandler,
      SecondEcho,
    ])) as Error;
    expect(error?.message).toMatch(
      /two message handlers for action "echo": (EchoHandler and SecondEcho|SecondEcho and EchoHandler)/,
    );
  });

  it('reusing a bundled action needs replaceBundledHandlers', async () => {
    const error = (await boot([CustomPing])) as Error;
    expect(error?.message).toContain(`CustomPing handles "ping"`);
    expect(error?.message).toContain(`replaceBundledHandlers: ['ping']`);
  });
});

describe('default adapter', () => {
  it('an app that sets no WebSocket adapter gets RealtimeWsAdapter from the module', async () => {
    const { app, url } = await startApp({}, [FixtureController], [], {
      adapter: false,
    });
    try {
      const page = await getPage(`${url}/room/auto`);
      const client = await connect(url, {
        connectionId: page.connectionId,
        key: page.key,
      });
      expect(await client.request({ id: 1, action: 'ping' })).toEqual({
        id: 1,
        payload: 'pong',
      });
      await client.close();
    } finally {
      await app.close();
    }
  });
});
