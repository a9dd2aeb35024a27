import { describe, expect, it } from 'vitest';
import { MessageHandler, RealtimeService } from '../src';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp } from './support/app';
import { openView, rawSocket } from './support/views';
import { handshakeStatus, type TestClient } from './support/ws-client';

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
