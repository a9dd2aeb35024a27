import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessageHandler } from '../src';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp, type TestApp } from './support/app';
import { getPage } from './support/http-client';
import {
  connect,
  handshakeStatus,
  type ConnectOptions,
  type TestClient,
} from './support/ws-client';

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

async function openView(
  t: { url: string },
  socket: ConnectOptions = {},
): Promise<{ client: TestClient; id: string }> {
  const page = await getPage(`${t.url}/room/life`);
  const client = await connect(t.url, {
    connectionId: page.connectionId,
    key: page.key,
    ...socket,
  });
  return { client, id: page.connectionId as string };
}

function rawSocket(client: TestClient): { pause(): void; resume(): void } {
  return (
    client.ws as unknown as { _socket: { pause(): void; resume(): void } }
  )._socket;
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
    expect(clients[0].frames.map((f) => JSON.parse(f))).toContainEqual({
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

describe('heartbeatInterval', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await t?.close();
    t = undefined;
  });

  /**
   * Boots with the heartbeat's setInterval faked, connects a client that counts pings,
   * then moves the clock `ticks` times by `step` ms, letting the client answer between.
   */
  async function pingsAfter(
    heartbeatInterval: number | undefined,
    step: number,
    ticks: number,
  ): Promise<{ pings: number; open: boolean }> {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    t = await startApp(
      heartbeatInterval === undefined ? {} : { heartbeatInterval },
    );
    const { client } = await openView(t);
    let pings = 0;
    client.ws.on('ping', () => pings++);
    for (let i = 0; i < ticks; i++) {
      vi.advanceTimersByTime(step);
      // Answered after the clock moved: a ping sent before it has arrived (and its pong went back).
      expect(await client.request({ id: i, action: 'ping' })).toEqual({
        id: i,
        payload: 'pong',
      });
    }
    return { pings, open: client.ws.readyState === 1 };
  }

  it('pings every interval (25 s by default)', async () => {
    expect(await pingsAfter(undefined, 25_000, 3)).toEqual({
      pings: 3,
      open: true,
    });
  });

  it('0 disables it: no ping in an hour', async () => {
    expect(await pingsAfter(0, 600_000, 6)).toEqual({ pings: 0, open: true });
  });
});
