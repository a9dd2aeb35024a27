import { Controller, Get, Header, Param } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  RealtimeError,
  Socket,
  type RealtimeModuleOptions,
  type RealtimeSocket,
} from '../src';
import {
  connect as connectBrowserClient,
  type RealtimeState,
} from '../src/client';
import { RealtimeIdentity } from '../src/identity/realtime-identity';
import { RealtimeChannels } from '../src/realtime-channels';
import { FixtureController, page } from './fixtures/fixture.controller';
import {
  registriesReady,
  startApp,
  twoInstancesOnRedis,
  type TestApp,
} from './support/app';
import { getPage, postJson } from './support/http-client';
import {
  redisAvailable,
  startRedis,
  type RedisProcess,
} from './support/redis-server';
import { connect, type TestClient } from './support/ws-client';

// README "Revocation" (SPEC §11): socket.identify() in a route after the app's own
// authentication; disconnect({ user } | { digest }) closes the matching connections on
// every instance with 4001 before it resolves, removes their subscriptions, and keeps
// their ids inert; the browser client does not reconnect.

const SECRET = 'a-fixed-secret-for-the-revocation-tests-0123456';

/** A login-protected page as an app writes it: the user comes from its own auth (here the path). */
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
    await socket.subscribe(`room:${room}`);
    return page(`${room} as ${user}`);
  }
}

const controllers = [FixtureController, AccountController];

interface Tab {
  client: TestClient;
  id: string;
  key: string;
}

async function tab(
  render: TestApp,
  user: string,
  room: string,
  socketOn = render,
): Promise<Tab> {
  const rendered = await getPage(`${render.url}/as/${user}/${room}`);
  expect(rendered.status).toBe(200);
  const id = rendered.connectionId as string;
  const key = rendered.key as string;
  const client = await connect(socketOn.url, { connectionId: id, key });
  return { client, id, key };
}

/**
 * Proves `client` got no push of `channel`: a witness on the same instance and channel
 * gets `payload` (the instance wrote it to every subscriber at once), then `client`'s
 * reply to a request is its next frame.
 */
async function notDelivered(
  from: TestApp,
  witness: TestClient,
  client: TestClient,
  channel: string,
  payload: string,
): Promise<void> {
  await from.realtime.push(payload, channel);
  expect(await witness.next()).toEqual({ channel, payload });
  await client.request({ id: 'after', action: 'ping' });
  expect(client.frames).toEqual([]);
}

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

    it('disconnect({ user }) closes every tab of that user with 4001 on every instance before it resolves, and only theirs', async () => {
      const alice1 = await tab(a, 'alice', 'r1');
      const alice2 = await tab(a, 'alice', 'r1', b);
      const bob = await tab(b, 'bob', 'r1', a);
      const closed = [alice1.client.whenClosed(), alice2.client.whenClosed()];
      expect(await b.realtime.disconnect({ user: 'alice' }, 'logged out')).toBe(
        2,
      );
      expect(await Promise.all(closed)).toEqual([4001, 4001]);
      // Bob still gets the room; nothing of alice's is left subscribed.
      await a.realtime.push('still here', 'room:r1');
      expect(await bob.client.next()).toEqual({
        channel: 'room:r1',
        payload: 'still here',
      });
      expect(a.realtime.stats().closes.revoked ?? 0).toBe(
        1 + (a === b ? 1 : 0),
      );
      await bob.client.close();
    });

    it('a revoked view stays inert: its id reconnects to nothing, and a subscribe through it is refused', async () => {
      const carol = await tab(a, 'carol', 'r2');
      const witness = await tab(a, 'witness', 'r2', b);
      const { id, key } = carol;
      const digest = a.app.get(RealtimeIdentity).digest(key, id);
      const closed = carol.client.whenClosed();
      expect(await a.realtime.disconnect({ digest })).toBe(1);
      expect(await closed).toBe(4001);
      const again = await connect(b.url, { connectionId: id, key });
      await notDelivered(
        a,
        witness.client,
        again,
        'room:r2',
        'not for a revoked view',
      );
      // Inert, like an id that was never issued: it may not act through the app either.
      expect(b.realtime.stats().inertConnections).toBe(1);
      expect(
        await again.request({
          id: 'route',
          action: 'call-route',
          method: 'GET',
          uri: '/plain',
        }),
      ).toMatchObject({ id: 'route', error: { code: 'unauthorized' } });
      const sub = await postJson(
        `${b.url}/subscribe`,
        { channels: ['room:r2'] },
        key,
        id,
      );
      expect(sub.status).not.toBe(200);
      await notDelivered(a, witness.client, again, 'room:r2', 'still not');
      await Promise.all([again.close(), witness.client.close()]);
    });

    it('a tab rendered but not yet connected is revoked too: its socket opens inert', async () => {
      const rendered = await getPage(`${a.url}/as/dave/r3`);
      const witness = await tab(b, 'witness', 'r3', a);
      expect(await b.realtime.disconnect({ user: 'dave' })).toBe(0);
      const late = await connect(a.url, {
        connectionId: rendered.connectionId,
        key: rendered.key,
      });
      await notDelivered(b, witness.client, late, 'room:r3', 'not for dave');
      expect(
        await late.request({
          id: 'r',
          action: 'call-route',
          method: 'GET',
          uri: '/plain',
        }),
      ).toMatchObject({ error: { code: 'unauthorized' } });
      await Promise.all([late.close(), witness.client.close()]);
    });

    it('the browser client goes to closed on 4001 and does not reconnect', async () => {
      const rendered = await getPage(`${a.url}/as/erin/r4`);
      const key = rendered.key as string;
      let sockets = 0;
      class KeyedSocket extends WebSocket {
        constructor(url: string) {
          super(url, { headers: { cookie: `realtime_key=${key}` } });
          sockets++;
        }
      }
      const rt = connectBrowserClient({
        url: b.url.replace(/^http/, 'ws') + '/',
        connectionId: rendered.connectionId,
        WebSocket: KeyedSocket,
        minDelay: 10,
        maxDelay: 20,
      });
      const states: RealtimeState[] = [];
      const closedState = new Promise<void>((resolve) =>
        rt.onState((state) => {
          states.push(state);
          if (state === 'closed') resolve();
        }),
      );
      await new Promise<void>((resolve) =>
        rt.onState((state) => state === 'open' && resolve()),
      );
      expect(await a.realtime.disconnect({ user: 'erin' }, 'banned')).toBe(1);
      await closedState;
      expect(states).toEqual(['connecting', 'open', 'closed']);
      // The client's own backoff (10–20 ms) has long passed once a fresh tab's round trip is done.
      const other = await tab(a, 'frank', 'r4');
      await other.client.request({ id: 'later', action: 'ping' });
      expect(sockets).toBe(1);
      expect(rt.state).toBe('closed');
      await other.client.close();
    });

    it('bad input is refused with a clear error', async () => {
      await expect(a.realtime.disconnect({} as never)).rejects.toMatchObject({
        code: 'bad_request',
      });
      await expect(
        a.realtime.disconnect({ digest: 'not-a-digest' }),
      ).rejects.toBeInstanceOf(RealtimeError);
      await expect(
        a.realtime.disconnect({ user: 'x' }, 'r'.repeat(124)),
      ).rejects.toMatchObject({ code: 'bad_request' });
      const channels = a.app.get(RealtimeChannels);
      for (const user of ['', 'u'.repeat(257), 42])
        await expect(
          channels.identify('digest', user, undefined),
        ).rejects.toMatchObject({ code: 'invalid_user' });
      await expect(
        channels.identify('digest', 'ok', { big: 'x'.repeat(5000) }),
      ).rejects.toMatchObject({ code: 'invalid_user' });
    });
  });
}

suite('revocation on the memory registry', async () => {
  const t = await startApp({ secret: SECRET }, controllers);
  return { a: t, b: t, stop: () => t.close() };
});

if (redisAvailable()) {
  suite('revocation across two instances on Redis', () =>
    twoInstancesOnRedis({ secret: SECRET, keyPrefix: 'rev:' }, controllers),
  );

  describe('revocation while a handshake loads its view (Redis)', () => {
    let redis2: RedisProcess;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      redis2 = await startRedis();
      const options: RealtimeModuleOptions = {
        registry: 'redis',
        redis: redis2.url,
        secret: SECRET,
        keyPrefix: 'revload:',
      };
      a = await startApp(options, controllers);
      b = await startApp(options, controllers);
      await registriesReady([a, b]);
    }, 30_000);
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await redis2?.stop();
    });

    it('a socket whose view is revoked after Redis read it, before its upgrade completed, opens inert', async () => {
      const rendered = await getPage(`${a.url}/as/judy/r9`);
      // The revocation lands between b's read of the view and the end of its load (a
      // test seam on the store: the timing a slow link gives, every run).
      const store = (
        b.registry as unknown as {
          store: { attach: (...args: unknown[]) => Promise<unknown> };
        }
      ).store;
      const attach = store.attach.bind(store);
      let revoked = 0;
      store.attach = async (...args: unknown[]) => {
        const read = await attach(...args);
        revoked = await a.realtime.disconnect({ user: 'judy' });
        return read;
      };
      try {
        const client = await connect(b.url, {
          connectionId: rendered.connectionId as string,
          key: rendered.key as string,
        });
        expect(revoked).toBe(1);
        expect(await client.request({ id: 1, action: 'ping' })).toMatchObject({
          id: 1,
          error: { code: 'unauthorized' },
        });
        expect(b.realtime.stats().inertConnections).toBe(1);
        await client.close();
      } finally {
        store.attach = attach;
      }
    });
  });
}
