import { Controller, Get, Header, Param } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  Socket,
  type RealtimeModuleOptions,
  type RealtimeSocket,
} from '../src';
import {
  connect as connectBrowserClient,
  type RealtimePresenceChange,
} from '../src/client';
import { FixtureController, page } from './fixtures/fixture.controller';
import {
  registriesReady,
  startApp,
  twoInstancesOnRedis,
  type TestApp,
} from './support/app';
import { getPage } from './support/http-client';
import { startInstanceProcess } from './support/instance-process';
import { watchPresence } from './support/presence-watch';
import {
  redisAvailable,
  startRedis,
  type RedisProcess,
} from './support/redis-server';
import { connect, type TestClient } from './support/ws-client';

// README "Users and presence" (SPEC §11): presence(), presenceStats() and presence$()
// across instances, one entry per user, joins on the first live connection and leaves
// presenceGrace after the last; the option `presence` pushes the transitions to the
// channel's subscribers and answers their `presence` requests.

const SECRET = 'a-fixed-secret-for-the-presence-tests-0123456789';
const GRACE = 1500;

@Controller()
class AccountController {
  @Get('as/:user/:room')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async page(
    @Param('user') user: string,
    @Param('room') room: string,
    @Socket() socket: RealtimeSocket,
  ): Promise<string> {
    await socket.identify(user, { name: user.toUpperCase() });
    await socket.subscribe(`room:${room}`, 'lobby');
    return page(`${room} as ${user}`);
  }
}

const controllers = [FixtureController, AccountController];

interface Tab {
  client: TestClient;
  id: string;
  key: string;
}

/** Renders `path` on `render` and opens its socket on `socketOn`. */
async function tab(
  render: TestApp | { url: string },
  path: string,
  socketOn: { url: string } = render,
): Promise<Tab> {
  const rendered = await getPage(`${render.url}${path}`);
  expect(rendered.status).toBe(200);
  const id = rendered.connectionId as string;
  const key = rendered.key as string;
  const client = await connect(socketOn.url, { connectionId: id, key });
  return { client, id, key };
}

const join = (user: string, channel: string) => ({
  type: 'join',
  channel,
  user,
  info: { name: user.toUpperCase() },
  instanceId: expect.any(String),
});

function suite(
  name: string,
  setup: () => Promise<{ a: TestApp; b: TestApp; stop(): Promise<void> }>,
) {
  describe(name, () => {
    let a: TestApp;
    let b: TestApp;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      ({ a, b, stop } = await setup());
    }, 30_000);
    afterAll(async () => {
      await stop?.();
    });

    it('two tabs of one user are one entry; a view never identified counts in views and connections only', async () => {
      const onA = watchPresence(a.realtime.presence$('room:p1'));
      const onB = watchPresence(b.realtime.presence$('room:p1'));
      const tabs = [
        await tab(a, '/as/alice/p1'),
        await tab(a, '/as/alice/p1', b),
        await tab(b, '/room/p1'),
      ];
      expect(await onA.next()).toEqual(join('alice', 'room:p1'));
      expect(await onB.next()).toEqual(join('alice', 'room:p1'));
      await expect
        .poll(() => a.realtime.presenceStats('room:p1'), { timeout: 8000 })
        .toEqual({ users: 1, views: 3, connections: 3 });
      expect(await b.realtime.presence('room:p1')).toEqual([
        { user: 'alice', info: { name: 'ALICE' }, connections: 2 },
      ]);
      // The second tab made no second join: the next change is bob's, on both streams.
      await tab(b, '/as/bob/p1');
      expect(await onA.next()).toEqual(join('bob', 'room:p1'));
      expect(await onB.next()).toEqual(join('bob', 'room:p1'));
      onA.stop();
      onB.stop();
      for (const t of tabs) await t.client.close();
    });

    it('a reconnect within presenceGrace, on either instance, is not a leave and a join', async () => {
      const changes = watchPresence(a.realtime.presence$('room:p2'));
      const carol = await tab(a, '/as/carol/p2');
      expect(await changes.next()).toEqual(join('carol', 'room:p2'));
      await carol.client.close();
      const back = await connect(b.url, {
        connectionId: carol.id,
        key: carol.key,
      });
      await expect
        .poll(() => a.realtime.presence('room:p2'), { timeout: 8000 })
        .toEqual([{ user: 'carol', info: { name: 'CAROL' }, connections: 1 }]);
      // Past the grace of the closed socket: still no leave; the next change is dave's join.
      await new Promise((resolve) => setTimeout(resolve, GRACE + 500));
      await tab(a, '/as/dave/p2');
      expect(await changes.next()).toEqual(join('dave', 'room:p2'));
      expect(changes.pending).toEqual([]);
      changes.stop();
      await back.close();
    });

    it('a user leaves presenceGrace after its last connection, listed with 0 connections meanwhile', async () => {
      const changes = watchPresence(b.realtime.presence$('room:p3'));
      const erin = await tab(a, '/as/erin/p3');
      expect(await changes.next()).toEqual(join('erin', 'room:p3'));
      const closedAt = Date.now();
      await erin.client.close();
      await expect
        .poll(() => b.realtime.presence('room:p3'), { timeout: GRACE })
        .toEqual([{ user: 'erin', info: { name: 'ERIN' }, connections: 0 }]);
      expect(await changes.next(GRACE + 8000)).toEqual({
        ...join('erin', 'room:p3'),
        type: 'leave',
      });
      expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE - 50);
      expect(await a.realtime.presence('room:p3')).toEqual([]);
      expect(await a.realtime.presenceStats('room:p3')).toEqual({
        users: 0,
        views: 0,
        connections: 0,
      });
      changes.stop();
    });

    it('subscribers of a shared channel get join and leave frames and may ask for the list; other channels are refused', async () => {
      const watcher = await tab(a, '/room/p4');
      const frank = await tab(b, '/as/frank/p4');
      expect(await watcher.client.next()).toEqual({
        channel: 'room:p4',
        presence: { join: { user: 'frank', info: { name: 'FRANK' } } },
      });
      expect(
        await watcher.client.request({
          id: 1,
          action: 'presence',
          channel: 'room:p4',
        }),
      ).toEqual({
        id: 1,
        payload: [{ user: 'frank', info: { name: 'FRANK' }, connections: 1 }],
      });
      // Frank holds `lobby`, which the option does not share: refused like a channel he does not hold.
      for (const channel of ['lobby', 'room:p1']) {
        expect(
          await frank.client.request({ id: 2, action: 'presence', channel }),
        ).toMatchObject({ id: 2, error: { code: 'unauthorized' } });
      }
      expect(
        await frank.client.request({ id: 3, action: 'presence', channel: 7 }),
      ).toMatchObject({ id: 3, error: { code: 'bad_request' } });
      await frank.client.close();
      expect(await watcher.client.next(GRACE + 8000)).toEqual({
        channel: 'room:p4',
        presence: { leave: { user: 'frank', info: { name: 'FRANK' } } },
      });
      await watcher.client.close();
    });

    it('the browser client: rt.presence(channel) and rt.onPresence(channel, cb)', async () => {
      const rendered = await getPage(`${a.url}/as/hana/p5`);
      const key = rendered.key as string;
      class KeyedSocket extends WebSocket {
        constructor(url: string) {
          super(url, { headers: { cookie: `realtime_key=${key}` } });
        }
      }
      const rt = connectBrowserClient({
        url: b.url.replace(/^http/, 'ws') + '/',
        connectionId: rendered.connectionId,
        WebSocket: KeyedSocket,
      });
      try {
        const changes: RealtimePresenceChange[] = [];
        const ivan = new Promise<void>((resolve) =>
          rt.onPresence('room:p5', (change) => {
            changes.push(change);
            if (change.user === 'ivan') resolve();
          }),
        );
        // Pushes on the channel still reach `on()` listeners, and only them.
        const pushed = new Promise<unknown>((resolve) =>
          rt.on('room:p5', (payload) => resolve(payload)),
        );
        await new Promise<void>((resolve) =>
          rt.onState((state) => state === 'open' && resolve()),
        );
        const other = await tab(a, '/as/ivan/p5');
        await ivan;
        expect(changes.filter((c) => c.user === 'ivan')).toEqual([
          {
            type: 'join',
            channel: 'room:p5',
            user: 'ivan',
            info: { name: 'IVAN' },
          },
        ]);
        expect(
          (await rt.presence('room:p5')).sort((x, y) =>
            x.user.localeCompare(y.user),
          ),
        ).toEqual([
          { user: 'hana', info: { name: 'HANA' }, connections: 1 },
          { user: 'ivan', info: { name: 'IVAN' }, connections: 1 },
        ]);
        await expect(rt.presence('lobby')).rejects.toMatchObject({
          code: 'unauthorized',
        });
        await a.realtime.push({ hello: 'p5' }, 'room:p5');
        expect(await pushed).toEqual({ hello: 'p5' });
        await other.client.close();
      } finally {
        rt.close();
      }
    });

    it('presence of a channel nobody is on is empty; bad names are refused', async () => {
      expect(await a.realtime.presence('room:nobody')).toEqual([]);
      expect(await b.realtime.presenceStats('room:nobody')).toEqual({
        users: 0,
        views: 0,
        connections: 0,
      });
      await expect(a.realtime.presence('room:*')).rejects.toMatchObject({
        code: 'invalid_channel',
      });
      expect(() => a.realtime.presence$('')).toThrow(
        expect.objectContaining({ code: 'invalid_channel' }),
      );
    });

    it('stats() counts the joins and leaves this instance heard', () => {
      const stats = a.realtime.stats().presence;
      expect(stats.joins).toBeGreaterThanOrEqual(5);
      expect(stats.leaves).toBeGreaterThanOrEqual(2);
    });
  });
}

const options: RealtimeModuleOptions = {
  secret: SECRET,
  presence: ['room:*'],
  presenceGrace: GRACE,
};

suite('presence on the memory registry', async () => {
  const t = await startApp(options, controllers);
  return { a: t, b: t, stop: () => t.close() };
});

if (redisAvailable()) {
  suite('presence across two instances on Redis', () =>
    twoInstancesOnRedis({ ...options, keyPrefix: 'pres:' }, controllers),
  );

  describe('presence when an instance dies', () => {
    let redis: RedisProcess;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it("a SIGKILLed instance's users leave within pendingTtl, told by a live instance", async () => {
      const pendingTtl = 1500;
      const watcher = await startApp(
        {
          secret: SECRET,
          registry: 'redis',
          redis: redis.url,
          keyPrefix: 'dead:',
          pendingTtl,
        },
        controllers,
      );
      const proc = await startInstanceProcess({
        REDIS_URL: redis.url,
        REALTIME_SECRET: SECRET,
        KEY_PREFIX: 'dead:',
        PENDING_TTL: String(pendingTtl),
        PRESENCE_GRACE: '60000',
      });
      try {
        await registriesReady([watcher]);
        const changes = watchPresence(watcher.realtime.presence$('room:k'));
        const gina = await tab(proc, '/as/gina/k');
        expect(await changes.next()).toEqual({
          ...join('gina', 'room:k'),
          instanceId: expect.not.stringMatching(
            watcher.realtime.stats().instanceId,
          ),
        });
        expect(await proc.kill('SIGKILL')).toBeNull();
        const killedAt = Date.now();
        await gina.client.whenClosed();
        // A grace of 60 s would keep her; a dead instance's entries go with its liveness.
        expect(await changes.next(pendingTtl + 8000)).toEqual({
          ...join('gina', 'room:k'),
          type: 'leave',
          instanceId: watcher.realtime.stats().instanceId,
        });
        expect(Date.now() - killedAt).toBeLessThanOrEqual(pendingTtl + 1000);
        expect(await watcher.realtime.presence('room:k')).toEqual([]);
        changes.stop();
      } finally {
        await proc.kill('SIGKILL');
        await watcher.close();
      }
    });
  });
}
