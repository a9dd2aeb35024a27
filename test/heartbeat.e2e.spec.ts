import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp, type TestApp } from './support/app';
import { openView, rawSocket } from './support/views';

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
