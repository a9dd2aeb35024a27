import { Controller, Get, HttpException } from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { NEVER, concat, of, throwError } from 'rxjs';
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  vi,
} from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  backoffDelay,
  connect,
  RealtimeClientError,
  type ConnectOptions,
  type RealtimeClient,
  type RealtimeFrame,
  type RealtimeResume,
  type RealtimeState,
} from '../src/client';
import { MessageHandler, type RealtimeEvent } from '../src';
import { encodeSince } from '../src/protocol/resume';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp, type TestApp } from './support/app';
import { getPage } from './support/http-client';
import { startProxy } from './support/tcp-proxy';

// The browser client against a real app, over real sockets: Node 20 has no global
// WebSocket, so the `ws` package's class stands in for the browser's (its
// onopen/onmessage/onclose API is the browser's; text frames arrive as strings).

const WAIT = 3000;

/** Lets the test close the caller's socket from the server side, with any code. */
@MessageHandler('test:drop')
class DropHandler {
  handle(
    @ConnectedSocket() ws: WebSocket,
    @MessageBody('code') code: number | 'terminate',
  ): string {
    if (code === 'terminate') ws.terminate();
    else ws.close(code);
    return 'dropped'; // never sent: the socket is no longer open
  }
}

/** Never replies: a request that stays pending until the socket closes. */
@MessageHandler('test:hang')
class HangHandler {
  handle() {
    return NEVER;
  }
}

/** Replies once, then fails: the error has no request waiting for it. */
@MessageHandler('test:late-error')
class LateErrorHandler {
  handle() {
    return concat(
      of('first'),
      throwError(() => new HttpException('too late', 418)),
    );
  }
}

@MessageHandler('test:teapot')
class TeapotHandler {
  handle(): never {
    throw new HttpException('short and stout', 418);
  }
}

let releaseSlow: () => void = () => undefined;

@Controller('client-test')
class ClientTestController {
  /** Answers only when the test lets it: a call-route that stays pending. */
  @Get('slow')
  async slow(): Promise<{ ok: true }> {
    await new Promise<void>((resolve) => (releaseSlow = resolve));
    return { ok: true };
  }
}

/** Wakes waiters whenever something was recorded, so tests await conditions, not time. */
class Signal {
  private waiters = new Set<() => void>();

  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  until(condition: () => boolean, what: string, timeout = WAIT): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}`));
      }, timeout);
      this.waiters.add(check);
      check();
    });
  }
}

/** Records a client's states and pushes. */
class Watch {
  readonly signal = new Signal();
  readonly states: RealtimeState[] = [];
  readonly frames: RealtimeFrame[] = [];
  readonly resumes: RealtimeResume[] = [];

  constructor(readonly rt: RealtimeClient) {
    rt.onResume((resume) => {
      this.resumes.push(resume);
      this.signal.notify();
    });
    rt.onState((state) => {
      this.states.push(state);
      this.signal.notify();
    });
    rt.on('*', (_payload, frame) => {
      this.frames.push(frame);
      this.signal.notify();
    });
  }

  /** Waits until the states recorded from index `from` on are `sequence`. */
  statesAfter(from: number, sequence: RealtimeState[]): Promise<void> {
    return this.signal.until(
      () => this.states.slice(from).join() === sequence.join(),
      `states ${sequence.join(' → ')} (seen: ${this.states.join(' → ')})`,
    );
  }

  state(state: RealtimeState): Promise<void> {
    return this.signal.until(
      () => this.rt.state === state,
      `state ${state} (seen: ${this.states.join(' → ')})`,
    );
  }

  /** Waits for the `count`-th resume frame and returns it. */
  async resume(count: number): Promise<RealtimeResume> {
    await this.signal.until(
      () => this.resumes.length >= count,
      `resume frame ${count} (seen ${this.resumes.length})`,
    );
    return this.resumes[count - 1];
  }

  frame(channel: string, payload: unknown): Promise<void> {
    return this.signal.until(
      () =>
        this.frames.some(
          (frame) =>
            frame.channel === channel &&
            JSON.stringify(frame.payload) === JSON.stringify(payload),
        ),
      `a push ${JSON.stringify(payload)} on ${channel}`,
    );
  }
}

/** The `ws` class, presenting the socket key cookie like a browser, and counting sockets. */
function keyedSockets(key: string) {
  const made = {
    urls: [] as string[],
    sockets: [] as WebSocket[],
    /** Where sockets really connect (the URL the client built goes to `urls`). */
    rewrite: undefined as ((url: string) => string) | undefined,
    /** Notified for every socket made. */
    signal: new Signal(),
  };
  class KeyedSocket extends WebSocket {
    constructor(url: string) {
      made.urls.push(url);
      super(made.rewrite ? made.rewrite(url) : url, {
        headers: { cookie: `realtime_key=${key}` },
      });
      made.sockets.push(this);
      made.signal.notify();
    }
  }
  return { WebSocket: KeyedSocket, made };
}

async function rejection(
  promise: Promise<unknown>,
): Promise<RealtimeClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RealtimeClientError);
    return error as RealtimeClientError;
  }
  throw new Error('expected a rejection');
}

describe('backoffDelay', () => {
  it('draws uniformly below the cap (full jitter)', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const cap = Math.min(30000, 250 * 2 ** attempt);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(attempt, 250, 30000, Math.random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(cap);
      }
    }
  });

  it('doubles from min up to max', () => {
    const almostOne = () => 1 - Number.EPSILON;
    const caps = [0, 1, 2, 3, 4, 5, 6, 7, 8, 50, 5000].map((attempt) =>
      Math.round(backoffDelay(attempt, 250, 30000, almostOne)),
    );
    expect(caps).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000,
    ]);
  });

  it('is zero when random() is zero', () => {
    for (const attempt of [0, 1, 5, 100])
      expect(backoffDelay(attempt, 250, 30000, () => 0)).toBe(0);
  });
});

describe('browser client against a real server', () => {
  let t: TestApp;
  let wsUrl: string;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    t = await startApp(
      {},
      [FixtureController, ClientTestController],
      [DropHandler, HangHandler, LateErrorHandler, TeapotHandler],
    );
    wsUrl = t.url.replace(/^http/, 'ws') + '/';
  });

  afterEach(() => {
    for (const rt of clients.splice(0)) rt.close();
    releaseSlow();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Renders the room page like a browser, then connects its client view. */
  async function openRoom(room: string, options: ConnectOptions = {}) {
    const page = await getPage(`${t.url}/room/${room}`);
    expect(page.connectionId).toBeTruthy();
    expect(page.key).toBeTruthy();
    const sockets = keyedSockets(page.key as string);
    const rt = connect({
      url: wsUrl,
      connectionId: page.connectionId,
      WebSocket: sockets.WebSocket,
      minDelay: 20,
      maxDelay: 200,
      ...options,
    });
    clients.push(rt);
    const watch = new Watch(rt);
    return { rt, watch, page, made: sockets.made };
  }

  async function openRoomReady(room: string, options: ConnectOptions = {}) {
    const opened = await openRoom(room, options);
    await opened.watch.state('open');
    return opened;
  }

  function nextEvent(
    type: RealtimeEvent['type'],
    connectionId: string,
  ): Promise<RealtimeEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        subscription.unsubscribe();
        reject(new Error(`no ${type} event within ${WAIT} ms`));
      }, WAIT);
      const subscription = t.realtime.events$.subscribe((event) => {
        if (event.type !== type || event.connectionId !== connectionId) return;
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve(event);
      });
    });
  }

  describe('connect()', () => {
    it('needs a connection id: none on the page is an error', () => {
      const { WebSocket: KeyedSocket } = keyedSockets('k');
      expect(() => connect({ url: wsUrl, WebSocket: KeyedSocket })).toThrow(
        /data-socket-connection-id/,
      );
      vi.stubGlobal('document', { body: { dataset: {} } });
      expect(() => connect({ url: wsUrl, WebSocket: KeyedSocket })).toThrow(
        /data-socket-connection-id/,
      );
    });

    it('reads the id from <body> and builds ws://host<path>?socket_connection_id=', async () => {
      const page = await getPage(`${t.url}/room/from-body`);
      const host = new URL(t.url).host;
      vi.stubGlobal('document', {
        body: { dataset: { socketConnectionId: page.connectionId } },
      });
      vi.stubGlobal('location', { protocol: 'http:', host });
      const { WebSocket: KeyedSocket, made } = keyedSockets(page.key!);
      const rt = connect({ WebSocket: KeyedSocket });
      clients.push(rt);
      const watch = new Watch(rt);
      expect(rt.connectionId).toBe(page.connectionId);
      expect(made.urls).toEqual([
        `ws://${host}/?socket_connection_id=${encodeURIComponent(page.connectionId!)}`,
      ]);
      await watch.state('open');
      await t.realtime.push({ hello: 'body' }, 'room:from-body');
      await watch.frame('room:from-body', { hello: 'body' });
    });

    it('uses wss on https pages, the given path, and appends the id to a given url', () => {
      vi.stubGlobal('document', {
        body: { dataset: { socketConnectionId: 'a b' } },
      });
      vi.stubGlobal('location', { protocol: 'https:', host: 'example.test' });
      const urls: string[] = [];
      // Records the URL and never connects anywhere.
      class Recorder {
        readyState = 0;
        onopen = null;
        onmessage = null;
        onclose = null;
        onerror = null;
        constructor(url: string) {
          urls.push(url);
        }
        send(): void {}
        close(): void {}
      }
      clients.push(connect({ WebSocket: Recorder, path: '/live' }));
      clients.push(
        connect({ WebSocket: Recorder, url: 'ws://127.0.0.1:1/x?v=2' }),
      );
      expect(urls).toEqual([
        'wss://example.test/live?socket_connection_id=a%20b',
        'ws://127.0.0.1:1/x?v=2&socket_connection_id=a%20b',
      ]);
    });
  });

  it('delivers pushes to the listeners of their channel and to "*"', async () => {
    const { rt, watch } = await openRoomReady('x');
    const onRoom: RealtimeFrame[] = [];
    const unsubscribe = rt.on('room:x', (payload, frame) => {
      expect(payload).toEqual(frame.payload);
      onRoom.push(frame);
    });
    // Subscribes the live connection over the socket, so both channels reach it.
    const subscribed = await rt.call('POST', '/subscribe', {
      channels: ['other'],
    });
    expect(subscribed.status).toBe(200);

    await t.realtime.push({ n: 1 }, 'room:x');
    await t.realtime.push('two', 'other');
    await watch.frame('room:x', { n: 1 });
    await watch.frame('other', 'two');
    // The offset in the frame: room:x's first push; 'other' (added live) too.
    expect(onRoom).toEqual([
      { channel: 'room:x', payload: { n: 1 }, offset: 1 },
    ]);
    expect(watch.frames).toEqual([
      { channel: 'room:x', payload: { n: 1 }, offset: 1 },
      { channel: 'other', payload: 'two', offset: 1 },
    ]);
    // One resume frame at open (room:x), one when 'other' was added to the live socket.
    expect(watch.resumes.map((r) => Object.keys(r.epoch))).toEqual([
      ['room:x'],
      ['other'],
    ]);

    // '*' hears a frame after the channel's own listeners, so this is conclusive.
    unsubscribe();
    await t.realtime.push({ n: 3 }, 'room:x');
    await watch.frame('room:x', { n: 3 });
    expect(onRoom).toHaveLength(1);
  });

  it('replays exactly what followed the positions the page was rendered at (connect({ since })), then goes live', async () => {
    const page = await getPage(`${t.url}/room/rendered`);
    for (const n of [1, 2, 3]) await t.realtime.push(n, 'room:rendered');
    // The page rendered messages 1 and 2 from history() and passes their position on.
    const { epoch, messages } = await t.realtime.history('room:rendered', {
      since: 0,
      limit: 2,
    });
    expect(messages.map((m) => m.payload)).toEqual([1, 2]);
    const sockets = keyedSockets(page.key as string);
    const rt = connect({
      url: wsUrl,
      connectionId: page.connectionId,
      WebSocket: sockets.WebSocket,
      since: { 'room:rendered': [epoch as string, 2] },
    });
    clients.push(rt);
    const watch = new Watch(rt);
    expect(await watch.resume(1)).toMatchObject({
      recovered: true,
      replayed: 1,
    });
    await t.realtime.push(4, 'room:rendered');
    await watch.frame('room:rendered', 4);
    expect(watch.frames).toEqual([
      { channel: 'room:rendered', payload: 3, offset: 3 },
      { channel: 'room:rendered', payload: 4, offset: 4 },
    ]);
    expect(new URL(sockets.made.urls[0]).searchParams.get('since')).toBe(
      encodeSince({ 'room:rendered': [epoch as string, 2] }),
    );
  });

  it('drops a push whose offset it has already seen (a replay that overlaps live pushes), across reconnects', async () => {
    // A plain ws server that repeats offsets on purpose, as a faulty or racing server might.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const urls: string[] = [];
    server.on('connection', (ws, req) => {
      urls.push(req.url as string);
      ws.send(
        '{"resume":{"recovered":true,"replayed":0,"epoch":{"c":"E1"},"failed":{}}}',
      );
      for (const n of [1, 2, 2, 1, 3])
        ws.send(`{"channel":"c","payload":${n},"offset":${n}}`);
      // The second socket is replayed 3 again, then gets 4.
      if (urls.length === 2) ws.send('{"channel":"c","payload":4,"offset":4}');
      else ws.close(1001);
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      const rt = connect({
        url: `ws://127.0.0.1:${port}/`,
        connectionId: 'id',
        WebSocket,
        minDelay: 1,
        maxDelay: 5,
      });
      clients.push(rt);
      const watch = new Watch(rt);
      await watch.frame('c', 4);
      expect(watch.frames.map((f) => f.payload)).toEqual([1, 2, 3, 4]);
      expect(new URL(urls[1], 'ws://x').searchParams.get('since')).toBe(
        encodeSince({ c: ['E1', 3] }),
      );
      rt.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps delivering when a listener throws', async () => {
    const { rt, watch } = await openRoomReady('throws');
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    rt.on('room:throws', () => {
      throw new Error('listener bug');
    });
    rt.onState(() => {
      throw new Error('state listener bug');
    });
    const heard: unknown[] = [];
    rt.on('room:throws', (payload) => heard.push(payload));
    await t.realtime.push(1, 'room:throws');
    await t.realtime.push(2, 'room:throws');
    await watch.frame('room:throws', 2);
    expect(heard).toEqual([1, 2]);
    expect(logged).toHaveBeenCalledWith(
      'nestjs-realtime: a listener threw',
      expect.objectContaining({ message: 'listener bug' }),
    );
    expect(logged).toHaveBeenCalledWith(
      'nestjs-realtime: a listener threw',
      expect.objectContaining({ message: 'state listener bug' }),
    );
    expect(await rt.send('ping')).toBe('pong');
  });

  it('calls routes over the socket (call-route)', async () => {
    const { rt, page } = await openRoomReady('call');
    const json = await rt.call('GET', '/json');
    expect(json.status).toBe(200);
    expect(json.body).toEqual({ ok: true, body: '<body>not html</body>' });
    expect(json.headers['content-type']).toMatch(/application\/json/);

    const whoami = await rt.call('GET', '/whoami');
    expect(whoami.body).toMatchObject({
      connectionId: page.connectionId,
      viaSocket: true,
    });
    const missing = await rt.call('GET', '/no-such-route');
    expect(missing.status).toBe(404);
  });

  it('sends to message handlers: replies resolve, error frames reject with code and status', async () => {
    const { rt } = await openRoomReady('send');
    expect(await rt.send('ping')).toBe('pong');

    const unknown = await rejection(rt.send('nope', { x: 1 }));
    expect(unknown.code).toBe('unknown_action');
    expect(unknown.status).toBeUndefined();
    expect(unknown.message).toBeTruthy();

    const teapot = await rejection(rt.send('test:teapot'));
    expect(teapot).toMatchObject({
      code: 'handler_error',
      status: 418,
      message: 'short and stout',
    });
  });

  it('hands errors nobody waits for to onError', async () => {
    const { rt, made } = await openRoomReady('errors');
    const signal = new Signal();
    const errors: RealtimeClientError[] = [];
    rt.onError((error) => {
      errors.push(error);
      signal.notify();
    });
    // A stream's error after its first reply.
    expect(await rt.send('test:late-error')).toBe('first');
    await signal.until(() => errors.length === 1, 'the late error');
    expect(errors[0]).toMatchObject({ code: 'handler_error', status: 418 });

    // A frame the server cannot read gets an error with id null.
    made.sockets[0].send('not json');
    await signal.until(() => errors.length === 2, 'the id-null error');
    expect(errors[1]).toMatchObject({ code: 'bad_request' });
    expect(await rt.send('ping')).toBe('pong');
  });

  it('rejects requests at once with not_open while the socket is not open', async () => {
    const { rt, watch } = await openRoom('not-open');
    expect(rt.state).toBe('connecting');
    expect((await rejection(rt.send('ping'))).code).toBe('not_open');
    expect((await rejection(rt.call('GET', '/json'))).code).toBe('not_open');
    await watch.state('open');
    expect(await rt.send('ping')).toBe('pong');
  });

  it('rejects pending requests with closed when the server closes the socket, then reconnects', async () => {
    const { rt, watch } = await openRoomReady('pending');
    const hang = rejection(rt.send('test:hang'));
    const slow = rejection(rt.call('GET', '/client-test/slow'));
    const drop = rejection(rt.send('test:drop', { code: 4000 }));
    for (const error of await Promise.all([hang, slow, drop]))
      expect(error.code).toBe('closed');
    await watch.statesAfter(0, ['connecting', 'open', 'reconnecting', 'open']);
  });

  it.each([
    ['lost (1006)', 'terminate'],
    ['slow consumer (4000)', 4000],
    ['server going away (1001)', 1001],
    ['server error (1011)', 1011],
  ] as const)(
    'reconnects by itself after a %s close, with the same id and its subscriptions',
    async (_name, code) => {
      const { rt, watch, page, made } = await openRoomReady(`again-${code}`);
      const from = watch.states.length;
      const reopened = nextEvent('connect', page.connectionId!);
      const dropped = rejection(rt.send('test:drop', { code }));
      expect((await dropped).code).toBe('closed');
      await watch.statesAfter(from - 1, ['open', 'reconnecting', 'open']);
      await reopened;

      expect(made.urls).toHaveLength(2);
      // The same URL, plus the last position per channel (nothing arrived yet: offset 0).
      const [first] = watch.resumes;
      expect(made.urls[1]).toBe(
        `${made.urls[0]}&since=${encodeSince({
          [`room:again-${code}`]: [first.epoch[`room:again-${code}`], 0],
        })}`,
      );
      expect((await watch.resume(2)).recovered).toBe(true);
      expect(rt.connectionId).toBe(page.connectionId);
      const whoami = await rt.call('GET', '/whoami');
      expect(whoami.body).toMatchObject({ connectionId: page.connectionId });
      await t.realtime.push({ after: code }, `room:again-${code}`);
      await watch.frame(`room:again-${code}`, { after: code });
    },
  );

  it('reconnects after the network drops, once it is back', async () => {
    const proxy = await startProxy(Number(new URL(t.url).port));
    try {
      const { rt, watch, made } = await openRoomReady('network', {
        url: `ws://127.0.0.1:${proxy.port}/`,
      });
      proxy.cut();
      await watch.state('reconnecting');
      // A few failed tries while the network is down.
      await made.signal.until(() => made.urls.length >= 4, 'three more tries');
      proxy.restore();
      await watch.state('open');
      await t.realtime.push('back', 'room:network');
      await watch.frame('room:network', 'back');
      expect(await rt.send('ping')).toBe('pong');
    } finally {
      await proxy.close();
    }
  });

  it('restarts the backoff at its minimum once a socket was open', async () => {
    const proxy = await startProxy(Number(new URL(t.url).port));
    // An exact binary fraction with min 20 gives delays no other timer uses.
    const r = 0.4375;
    const schedule = new Set(
      Array.from({ length: 16 }, (_, n) => r * 20 * 2 ** n),
    );
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    let draws = 0;
    try {
      proxy.cut(); // the first connection and the next three tries fail
      const { rt, watch } = await openRoom('backoff', {
        url: `ws://127.0.0.1:${proxy.port}/`,
        maxDelay: 60000,
        random: () => {
          if (++draws === 4) proxy.restore();
          return r;
        },
      });
      await watch.state('open');
      expect(watch.states).toEqual(['connecting', 'reconnecting', 'open']);
      const dropped = rejection(rt.send('test:drop', { code: 1001 }));
      expect((await dropped).code).toBe('closed');
      await watch.statesAfter(2, ['open', 'reconnecting', 'open']);

      const delays = setTimeoutSpy.mock.calls
        .map((call) => call[1])
        .filter((delay) => schedule.has(delay as number));
      expect(draws).toBe(5);
      expect(delays).toEqual([8.75, 17.5, 35, 70, 8.75]);
    } finally {
      setTimeoutSpy.mockRestore();
      await proxy.close();
    }
  });

  it('stops for good on a policy close (1008)', async () => {
    // Every reconnect is scheduled with a draw of `random` (its jitter): none may happen.
    let draws = 0;
    const random = () => (draws++, 0.5);
    const { rt, watch, made } = await openRoomReady('policy', { random });
    const dropped = rejection(rt.send('test:drop', { code: 1008 }));
    expect((await dropped).code).toBe('closed');
    await watch.state('closed');
    expect(watch.states).toEqual(['connecting', 'open', 'closed']);
    expect(draws).toBe(0);
    expect(made.urls).toHaveLength(1);
    expect(rt.state).toBe('closed');
    expect((await rejection(rt.send('ping'))).code).toBe('not_open');
  });

  it('close() stops it: pending rejected, socket closed, no reconnect', async () => {
    let draws = 0;
    const random = () => (draws++, 0.5);
    const { rt, watch, page, made } = await openRoomReady('close', { random });
    const left = nextEvent('disconnect', page.connectionId!);
    const hang = rejection(rt.send('test:hang'));
    rt.close();
    expect(rt.state).toBe('closed');
    expect((await hang).code).toBe('closed');
    // The server saw the socket close, and the client scheduled no reconnect.
    await left;
    expect(draws).toBe(0);
    expect(made.urls).toHaveLength(1);
    expect(watch.states).toEqual(['connecting', 'open', 'closed']);
    expect((await rejection(rt.send('ping'))).code).toBe('not_open');
    rt.close(); // twice is fine
  });

  it('close() while connecting aborts the handshake quietly', async () => {
    const { rt, watch, made } = await openRoom('abort');
    rt.close();
    expect(rt.state).toBe('closed');
    const socket = made.sockets[0];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the socket did not close')),
        WAIT,
      );
      if (socket.readyState === WebSocket.CLOSED) resolve();
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    expect(made.urls).toHaveLength(1);
    expect(watch.states).toEqual(['connecting', 'closed']);
  });
});
