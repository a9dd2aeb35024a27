import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { createConnection, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  MessageHandler,
  RealtimeModule,
  RealtimeService,
  RealtimeWsAdapter,
  type RealtimeRegistry,
} from '../src';
import { MemoryRegistry } from '../src/registry/memory.registry';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp } from './support/app';
import { getPage } from './support/http-client';
import { openView, rawSocket, turns } from './support/views';
import { connect, handshakeStatus, type TestClient } from './support/ws-client';

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
    const { app, url, registry } = await startApp(
      { shutdownTimeout: 5000, maxConnectionsPerAddress: 1000 },
      [FixtureController],
      [SlowReplyHandler],
    );
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
      expect(clients[0].rawFrames.map((f) => JSON.parse(f))).toContainEqual({
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

/** A handler that answers only when the test lets it. */
@MessageHandler('held')
class HeldHandler {
  static started: () => void = () => undefined;
  static release: () => void = () => undefined;
  handle(): Promise<string> {
    return new Promise((resolve) => {
      HeldHandler.release = () => resolve('released');
      HeldHandler.started();
    });
  }
}

/** A handler that never answers. */
@MessageHandler('stuck')
class StuckHandler {
  handle(): Promise<never> {
    return new Promise<never>(() => undefined);
  }
}

describe('shutdown (SPEC §7 shutdownTimeout)', () => {
  it('while an in-flight reply finishes, new handshakes get 503 (rejections.shutting_down); then every socket gets 1001 (closes.shutdown)', async () => {
    const t = await startApp(
      { shutdownTimeout: 5000 },
      [FixtureController],
      [HeldHandler],
    );
    const clients = [(await openView(t)).client, (await openView(t)).client];
    const started = new Promise<void>(
      (resolve) => (HeldHandler.started = resolve),
    );
    clients[0].sendRaw(JSON.stringify({ id: 'h', action: 'held' }));
    await started;
    const closing = t.close();
    // The HTTP server still listens while shutdown waits for the reply: the upgrade is refused.
    expect(await handshakeStatus(t.url, {})).toBe(503);
    expect(t.realtime.stats().rejections.shutting_down).toBe(1);
    HeldHandler.release();
    await closing;
    expect(await Promise.all(clients.map((c) => c.whenClosed()))).toEqual([
      1001, 1001,
    ]);
    expect(clients[0].rawFrames.map((f) => JSON.parse(f))).toContainEqual({
      id: 'h',
      payload: 'released',
    });
    expect(t.realtime.stats().closes.shutdown).toBe(2);
  });

  it('a reply that never comes and a client that never completes its close cannot hold app.close() past shutdownTimeout', async () => {
    const SHUTDOWN = 600;
    const t = await startApp(
      { shutdownTimeout: SHUTDOWN },
      [FixtureController],
      [StuckHandler],
    );
    const stuck = (await openView(t)).client;
    const silent = (await openView(t)).client;
    stuck.sendRaw(JSON.stringify({ id: 's', action: 'stuck' }));
    // The handler is in flight once the server answered a later request on that socket.
    expect(await stuck.request({ id: 'p', action: 'ping' })).toEqual({
      id: 'p',
      payload: 'pong',
    });
    rawSocket(silent).pause();
    const begun = Date.now();
    await t.close();
    const took = Date.now() - begun;
    expect(took).toBeGreaterThanOrEqual(SHUTDOWN - 20);
    expect(took).toBeLessThan(SHUTDOWN + 2000);
    expect(t.realtime.stats().connections).toBe(0);
    expect(t.realtime.stats().closes.shutdown).toBe(2);
    rawSocket(silent).resume();
    expect([1001, 1006]).toContain(await silent.whenClosed());
    expect([1001, 1006]).toContain(await stuck.whenClosed());
  });
});

/** The memory registry, holding one `attach` until shutdown reaches `close()`. */
class GatedRegistry extends MemoryRegistry implements RealtimeRegistry {
  override readonly kind = 'gated';
  /** Resolves once the held attach started. */
  attachHeld: Promise<void> = Promise.resolve();
  private held: Promise<void> | undefined;
  private started: () => void = () => undefined;
  private open: () => void = () => undefined;

  holdNextAttach(): void {
    this.attachHeld = new Promise<void>((r) => (this.started = r));
    this.held = new Promise<void>((r) => (this.open = r));
  }

  override async attach(digest: string): Promise<readonly string[]> {
    const held = this.held;
    this.held = undefined;
    if (held) {
      this.started();
      await held;
    }
    return super.attach(digest);
  }

  override async close(): Promise<void> {
    // Shutdown has closed every socket the hub knew by now: let the held handshake go on.
    this.open();
    await turns(5);
    return super.close();
  }
}

describe('shutdown while a handshake waits for the registry', () => {
  it('the late handshake is refused with 503 instead of opening a socket nobody closes (app.close() returns)', async () => {
    const registry = new GatedRegistry({
      pendingTtl: 60_000,
      reconnectGrace: 60_000,
      maxChannelsPerView: 100,
      history: { size: 10, ttl: 60_000, maxReplay: 100 },
    });
    const t = await startApp({ registry, shutdownTimeout: 2000 });
    const page = await getPage(t.url + '/room/late');
    registry.holdNextAttach();
    // A page reconnecting just as the server goes down: its handshake passed the
    // checks and waits for its view's subscriptions when shutdown begins.
    const socket = connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
    socket.catch(() => undefined);
    await registry.attachHeld;
    const closing = t.close();
    const closed = await Promise.race([
      closing.then(() => 'closed'),
      new Promise<string>((r) => setTimeout(() => r('still open'), 5000)),
    ]);
    const opened = await socket.then(
      (client) => {
        client.close();
        return 'opened';
      },
      (error: Error) => error.message,
    );
    expect(closed).toBe('closed');
    expect(opened).toMatch(/503/);
    expect(t.realtime.stats().rejections.shutting_down).toBe(1);
  });
});

describe('shutdown: an upgrade between the WebSocket adapter closing and the HTTP server closing', () => {
  it('is answered (no listener keeps the socket), so app.close() returns', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RealtimeModule.forRoot({})],
      controllers: [FixtureController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const adapter = new RealtimeWsAdapter(app);
    app.useWebSocketAdapter(adapter);
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer() as Server;
    const { port } = server.address() as AddressInfo;
    // What app.close() does first: the WebSocket side goes (Nest's socket module disposes the adapter).
    await adapter.dispose();
    // A browser reconnecting right then: its upgrade must get an answer, not hang.
    const answered = await new Promise<string>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () =>
        socket.write(
          'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        ),
      );
      const timer = setTimeout(() => {
        socket.destroy();
        resolve('no answer within 3 s');
      }, 3000);
      socket.once('data', (data) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.toString().split('\r\n')[0]);
      });
      socket.once('close', () => {
        clearTimeout(timer);
        resolve('closed');
      });
    });
    expect(answered).not.toBe('no answer within 3 s');
    expect(server.listenerCount('upgrade')).toBe(0);
    const closed = await Promise.race([
      app.close().then(() => 'closed'),
      new Promise<string>((r) => setTimeout(() => r('still open'), 5000)),
    ]);
    expect(closed).toBe('closed');
  });
});
