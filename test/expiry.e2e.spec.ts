import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPage } from './support/http-client';
import { startApp, type TestApp } from './support/app';
import { connect } from './support/ws-client';

async function digestOf(
  t: TestApp,
  key: string,
  connectionId: string,
): Promise<string> {
  const res = await fetch(`${t.url}/whoami`, {
    headers: {
      cookie: `realtime_key=${key}`,
      'x-socket-connection-id': connectionId,
    },
  });
  const body = (await res.json()) as { connectionId: string; digest: string };
  expect(body.connectionId).toBe(connectionId);
  return body.digest;
}

describe(
  'subscription expiry (SPEC §6.3) with short TTLs',
  { timeout: 30_000 },
  () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({ pendingTtl: 1500, reconnectGrace: 1500 });
    });
    afterAll(async () => {
      await t.close();
    });

    it('removes subscriptions of an id that never connects, but not of a connected one', async () => {
      const idle = await getPage(`${t.url}/room/idle`);
      const live = await getPage(`${t.url}/room/live`);
      const idleDigest = await digestOf(t, idle.key!, idle.connectionId!);
      const liveDigest = await digestOf(t, live.key!, live.connectionId!);
      const client = await connect(t.url, {
        connectionId: live.connectionId,
        key: live.key,
      });
      expect(t.registry.channelsOf(idleDigest)).toEqual(['room:idle']);
      await expect
        .poll(() => t.registry.channelsOf(idleDigest), {
          timeout: 8000,
          interval: 50,
        })
        .toBeUndefined();
      // Both were subscribed at the same time; the connected view kept its subscription.
      expect(t.registry.channelsOf(liveDigest)).toEqual(['room:live']);
      await t.realtime.push('still here', 'room:live');
      expect(await client.next()).toEqual({
        channel: 'room:live',
        payload: 'still here',
      });
      await client.close();
    });

    it('removes subscriptions of a disconnected view after reconnectGrace', async () => {
      const page = await getPage(`${t.url}/room/gone`);
      const digest = await digestOf(t, page.key!, page.connectionId!);
      const client = await connect(t.url, {
        connectionId: page.connectionId,
        key: page.key,
      });
      await client.close();
      expect(t.registry.channelsOf(digest)).toEqual(['room:gone']);
      await expect
        .poll(() => t.registry.channelsOf(digest), {
          timeout: 8000,
          interval: 50,
        })
        .toBeUndefined();
      // A late reconnect finds nothing: the view starts over with no channels.
      const again = await connect(t.url, {
        connectionId: page.connectionId,
        key: page.key,
      });
      await t.realtime.push('lost', 'room:gone');
      expect(await again.request({ id: 1, action: 'ping' })).toEqual({
        id: 1,
        payload: 'pong',
      });
      await again.close();
    });

    it('nothing grows: the registry is empty once every view expired', async () => {
      for (let i = 0; i < 20; i++) await getPage(`${t.url}/room/bulk${i}`);
      expect(t.registry.size).toBeGreaterThanOrEqual(20);
      await expect
        .poll(() => t.registry.size, { timeout: 8000, interval: 50 })
        .toBe(0);
    });
  },
);

describe('reconnect within reconnectGrace', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ reconnectGrace: 10_000 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('resumes the subscriptions of the view', async () => {
    const page = await getPage(`${t.url}/room/resume`);
    const first = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
    await first.close();
    await expect
      .poll(() => t.realtime.stats().connections, { timeout: 3000 })
      .toBe(0);
    const second = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
    await t.realtime.push('resumed', 'room:resume');
    expect(await second.next()).toEqual({
      channel: 'room:resume',
      payload: 'resumed',
    });
    await second.close();
  });
});
