import type { LoggerService } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeModuleOptions } from '../src';
import {
  AttackController,
  BlockedAddressGuard,
  pending,
} from './fixtures/attack.controller';
import { FixtureController } from './fixtures/fixture.controller';
import { PLATFORM, startApp, type TestApp } from './support/app';
import { getPage, keyFromCookies, postJson } from './support/http-client';
import {
  connect,
  type ConnectOptions,
  type TestClient,
} from './support/ws-client';
import { openView } from './support/views';

// Each describe reproduces one defect of issue #10 the way an attacker (or an unlucky
// operator) would meet it, against a real app, and asserts what SPEC §2, §5, §7 require.

const CONTROLLERS = [FixtureController, AttackController];

function boot(
  options: RealtimeModuleOptions = {},
  logger?: LoggerService,
  trustProxy?: string,
) {
  return startApp(options, CONTROLLERS, [BlockedAddressGuard], {
    logger,
    trustProxy,
  });
}

async function expectUnauthorized(client: TestClient): Promise<void> {
  expect(await client.request({ id: 'who', action: 'ping' })).toMatchObject({
    id: 'who',
    error: { code: 'unauthorized' },
  });
}

/** A handshake that either opens (the client) or is refused (its HTTP status). */
async function tryConnect(
  url: string,
  options: ConnectOptions,
): Promise<TestClient | number> {
  try {
    return await connect(url, options);
  } catch (error) {
    const status = /refused with HTTP (\d+)/.exec(String(error));
    if (!status) throw error;
    return Number(status[1]);
  }
}

const inventedKey = () => randomBytes(32).toString('base64url');

describe('defect 1: subscription fixation through a link (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await boot();
  });
  afterAll(() => t.close());

  it("a link carrying the attacker's key and id does not bind the victim's page to them", async () => {
    const attacker = await openView(t);
    // The attacker's own view, subscribed to a channel of its own, for the marker.
    await postJson(
      `${t.url}/subscribe`,
      { channels: ['attacker:own'] },
      attacker.key,
      attacker.id,
    );
    // The victim, without a key cookie yet, follows the attacker's link.
    const victim = await getPage(
      `${t.url}/dashboard?socket_key=${attacker.key}&socket_connection_id=${attacker.id}`,
    );
    expect(victim.status).toBe(200);
    expect(victim.connectionId).not.toBe(attacker.id);
    const victimKey = keyFromCookies(victim.setCookie);
    expect(victimKey).toBeDefined();
    expect(victimKey).not.toBe(attacker.key);
    const victimSocket = await connect(t.url, {
      connectionId: victim.connectionId,
      key: victimKey,
    });
    await t.realtime.push('alice-private', 'user:alice');
    expect(await victimSocket.next()).toEqual({
      channel: 'user:alice',
      payload: 'alice-private',
    });
    await t.realtime.push('marker', 'attacker:own');
    expect(await attacker.client.next()).toEqual({
      channel: 'attacker:own',
      payload: 'marker',
    });
    await Promise.all([attacker.client.close(), victimSocket.close()]);
  });

  it('a key the server did not issue counts as no key: HTTP sets a fresh one, a handshake with it is inert', async () => {
    const invented = inventedKey();
    const page = await getPage(`${t.url}/room/invented`, invented);
    const issued = keyFromCookies(page.setCookie);
    expect(issued).toBeDefined();
    expect(issued).not.toBe(invented);
    // The page's id belongs to the issued key, never to the invented one.
    const withInvented = await connect(t.url, {
      connectionId: page.connectionId,
      key: invented,
    });
    await expectUnauthorized(withInvented);
    const withIssued = await connect(t.url, {
      connectionId: page.connectionId,
      key: issued,
    });
    expect(await withIssued.request({ id: 1, action: 'ping' })).toEqual({
      id: 1,
      payload: 'pong',
    });
    await Promise.all([withInvented.close(), withIssued.close()]);
  });

  it('an issued key still works from the X-Socket-Key header and, on the upgrade only, from socket_key', async () => {
    const page = await getPage(`${t.url}/room/nonbrowser`);
    const viaQuery = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
      keyVia: 'query',
    });
    const res = await fetch(`${t.url}/whoami`, {
      headers: {
        'x-socket-key': page.key as string,
        'x-socket-connection-id': page.connectionId as string,
      },
    });
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(((await res.json()) as { connectionId: string }).connectionId).toBe(
      page.connectionId,
    );
    await t.realtime.push('n', 'room:nonbrowser');
    expect(await viaQuery.next()).toEqual({
      channel: 'room:nonbrowser',
      payload: 'n',
    });
    await viaQuery.close();
  });
});

describe('defect 2: call-route runs as the client, not as the proxy (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await boot({}, undefined, 'loopback');
  });
  afterAll(() => t.close());

  const forwarded = (ip: string) => ({
    'x-forwarded-for': ip,
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'app.example',
  });

  async function callWhoip(headers: Record<string, string>) {
    const { client } = await openView(t, '/plain', { headers });
    const reply = await client.request({
      id: 1,
      action: 'call-route',
      method: 'GET',
      uri: '/whoip',
    });
    await client.close();
    return reply.payload as { status: number; body: unknown };
  }

  it('an address the route blocks over HTTP is blocked over call-route too', async () => {
    const headers = forwarded(BlockedAddressGuard.BLOCKED);
    expect((await fetch(`${t.url}/whoip`, { headers })).status).toBe(403);
    expect((await callWhoip(headers)).status).toBe(403);
  });

  it('req.ip, req.ips, req.protocol, req.secure and req.host are what the same HTTP request sees', async () => {
    const headers = forwarded('198.51.100.7');
    const http = await (await fetch(`${t.url}/whoip`, { headers })).json();
    // Fastify's request.ips lists the socket's peer too, and it has no request.secure.
    expect(http).toEqual(
      PLATFORM === 'fastify'
        ? {
            ip: '198.51.100.7',
            ips: ['127.0.0.1', '198.51.100.7'],
            protocol: 'https',
            host: 'app.example',
          }
        : {
            ip: '198.51.100.7',
            ips: ['198.51.100.7'],
            protocol: 'https',
            secure: true,
            host: 'app.example',
          },
    );
    expect(await callWhoip(headers)).toMatchObject({ status: 200, body: http });
  });

  it('without a trusted proxy, forwarded headers change nothing, as over HTTP', async () => {
    const plain = await boot();
    try {
      const headers = forwarded('198.51.100.7');
      const http = await (
        await fetch(`${plain.url}/whoip`, { headers })
      ).json();
      expect(http).toMatchObject({ ip: '127.0.0.1', protocol: 'http' });
      const { client } = await openView(plain, '/plain', { headers });
      const reply = await client.request({
        id: 1,
        action: 'call-route',
        method: 'GET',
        uri: '/whoip',
      });
      expect(reply.payload).toMatchObject({ status: 200, body: http });
      await client.close();
    } finally {
      await plain.close();
    }
  });
});

describe('defect 4: control frames obey the limits (SPEC §7)', () => {
  it('a ping flood is charged to rateLimit: refused, then closed with 1008', async () => {
    const t = await boot({
      rateLimit: { messages: 100, interval: 60_000, closeAfter: 3 },
    });
    try {
      const flooder = await connect(t.url, {});
      let pongs = 0;
      flooder.ws.on('pong', () => pongs++);
      const payload = Buffer.alloc(100, 1);
      for (let i = 0; i < 5000 && flooder.ws.readyState === 1; i++)
        flooder.ws.ping(payload);
      expect(await flooder.whenClosed()).toBe(1008);
      expect(pongs).toBeLessThanOrEqual(100);
      await expect
        .poll(() => t.realtime.stats().closes.rate_limited, { timeout: 3000 })
        .toBe(1);
    } finally {
      await t.close();
    }
  });

  it('pongs count against maxBufferedBytes: a pinging socket that never reads is closed as a slow consumer', async () => {
    const t = await boot({
      rateLimit: { messages: 10_000_000, interval: 1000 },
      maxBufferedBytes: 64 * 1024,
    });
    try {
      const flooder = await connect(t.url, {});
      const raw = (
        flooder.ws as unknown as { _socket: { pause(): void; resume(): void } }
      )._socket;
      raw.pause();
      // 25 MB of pings: far more pong bytes than the loopback kernel buffers hold.
      const payload = Buffer.alloc(125, 2);
      for (let i = 0; i < 200_000; i++) flooder.ws.ping(payload);
      await expect
        .poll(() => t.realtime.stats().slowConsumerCloses, {
          timeout: 15_000,
        })
        .toBe(1);
      raw.resume();
      expect([4000, 1006]).toContain(await flooder.whenClosed());
    } finally {
      await t.close();
    }
  });

  it('unsolicited pongs do not keep a silent socket alive', async () => {
    const t = await boot({ heartbeatInterval: 150 });
    try {
      const { client, id } = await openView(t);
      const gone = new Promise<void>((resolve) => {
        const sub = t.realtime.events$.subscribe((e) => {
          if (e.type === 'disconnect' && e.connectionId === id) {
            sub.unsubscribe();
            resolve();
          }
        });
      });
      (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      // It never reads the server's pings, but sends pongs of its own: at most 100, every 20 ms.
      let sent = 0;
      const timer = setInterval(() => {
        if (sent++ < 100 && client.ws.readyState === 1)
          client.ws.pong(randomBytes(8));
      }, 20);
      try {
        await gone;
      } finally {
        clearInterval(timer);
      }
      expect(sent).toBeLessThan(100);
      expect(t.realtime.stats().closes.heartbeat_timeout).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe('defect 5: invented keys cannot take every place (SPEC §7 maxConnectionsPerAddress)', () => {
  it('one address gets 429 after maxConnectionsPerAddress, whatever keys it presents; another user still connects', async () => {
    const t = await boot({ maxConnections: 70 }, undefined, 'loopback');
    const opened: TestClient[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 70; i++) {
        const result = await tryConnect(t.url, {
          connectionId: randomBytes(33).toString('base64url').slice(0, 44),
          key: inventedKey(),
          headers: { 'x-forwarded-for': '203.0.113.9' },
        });
        if (typeof result === 'number') statuses.push(result);
        else {
          opened.push(result);
          statuses.push(101);
        }
      }
      expect(statuses.filter((s) => s === 101)).toHaveLength(64);
      expect(statuses.filter((s) => s === 429)).toHaveLength(6);
      expect(t.realtime.stats().rejections.address_cap).toBe(6);
      const user = await openView(t, '/room/lobby', {
        headers: { 'x-forwarded-for': '198.51.100.7' },
      });
      expect(await user.client.request({ id: 1, action: 'ping' })).toEqual({
        id: 1,
        payload: 'pong',
      });
      opened.push(user.client);
    } finally {
      await Promise.all(opened.map((c) => c.close()));
      await t.close();
    }
  });

  it('without a trusted proxy, X-Forwarded-For cannot spread one address over many', async () => {
    const t = await boot({ maxConnectionsPerAddress: 4 });
    const opened: TestClient[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const result = await tryConnect(t.url, {
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
        });
        if (typeof result === 'number') statuses.push(result);
        else {
          opened.push(result);
          statuses.push(101);
        }
      }
      expect(statuses).toEqual([101, 101, 101, 101, 429]);
    } finally {
      await Promise.all(opened.map((c) => c.close()));
      await t.close();
    }
  });
});

describe('defect 6: call-route cannot pile up requests (SPEC §5, §7)', () => {
  const never = { action: 'call-route', method: 'GET', uri: '/never' };

  it('a route that never answers gets handler_error with status 504 after callRouteTimeout; its request is aborted', async () => {
    const t = await boot({ callRouteTimeout: 300 });
    try {
      const { client } = await openView(t);
      const closedBefore = pending.closed;
      expect(await client.request({ id: 'n', ...never })).toEqual({
        id: 'n',
        error: {
          code: 'handler_error',
          message: expect.stringContaining('callRouteTimeout') as string,
          status: 504,
        },
      });
      await expect
        .poll(() => pending.closed - closedBefore, { timeout: 3000 })
        .toBe(1);
      await client.close();
    } finally {
      await t.close();
    }
  });

  it('closing the sockets aborts their calls, and app.close() does not wait for them', async () => {
    const t = await boot({ maxInFlight: 100, shutdownTimeout: 10_000 });
    let closed = false;
    try {
      const clients = await Promise.all(
        Array.from({ length: 5 }, () => openView(t)),
      );
      const [openedBefore, closedBefore] = [pending.opened, pending.closed];
      for (const { client } of clients)
        for (let i = 0; i < 100; i++)
          client.sendRaw(JSON.stringify({ id: i, ...never }));
      await expect
        .poll(() => pending.opened - openedBefore, { timeout: 10_000 })
        .toBe(500);
      await Promise.all(clients.map(({ client }) => client.close()));
      await expect
        .poll(() => pending.closed - closedBefore, { timeout: 5000 })
        .toBe(500);
      const started = Date.now();
      await t.close();
      closed = true;
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      if (!closed) await t.close();
    }
  });

  it('at most maxInFlight requests of one connection run at once; more get rate_limited, ping still answers', async () => {
    const t = await boot({ maxInFlight: 4 });
    try {
      const { client } = await openView(t);
      const openedBefore = pending.opened;
      for (let i = 0; i < 4; i++)
        client.sendRaw(JSON.stringify({ id: i, ...never }));
      await expect
        .poll(() => pending.opened - openedBefore, { timeout: 3000 })
        .toBe(4);
      expect(await client.request({ id: 'fifth', ...never })).toEqual({
        id: 'fifth',
        error: { code: 'rate_limited', message: expect.any(String) as string },
      });
      expect(await client.request({ id: 'p', action: 'ping' })).toEqual({
        id: 'p',
        payload: 'pong',
      });
      expect(pending.opened - openedBefore).toBe(4);
      await client.close();
    } finally {
      await t.close();
    }
  });
});

describe('defect 7: channel names and patterns (SPEC §2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await boot({ maxChannelLength: 64 });
  });
  afterAll(() => t.close());

  it('a room named "*" in a chat route cannot reach private rooms', async () => {
    const victim = await openView(t, '/room/private');
    const attack = await fetch(`${t.url}/rooms/*/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'to every room' }),
    });
    expect(attack.status).toBe(500);
    await postJson(`${t.url}/rooms/private/messages`, { text: 'marker' });
    expect(await victim.client.next()).toEqual({
      channel: 'room:private',
      payload: { text: 'marker' },
    });
    await victim.client.close();
  });

  it('push, subscribe, sendTo and channel() refuse "*" (invalid_channel, pointing to pushMatching)', async () => {
    const view = await openView(t, '/room/star');
    const digest = (
      (
        await postJson(
          `${t.url}/subscribe`,
          { channels: ['x'] },
          view.key,
          view.id,
        )
      ).body as { digest: string }
    ).digest;
    const refusal = {
      name: 'RealtimeError',
      code: 'invalid_channel',
      message: expect.stringContaining('pushMatching') as string,
    };
    await expect(t.realtime.push('m', 'room:*')).rejects.toMatchObject(refusal);
    await expect(
      t.realtime.sendTo(digest, 'm', 'room:*'),
    ).rejects.toMatchObject(refusal);
    const star = await postJson(
      `${t.url}/subscribe`,
      { channels: ['room:*'] },
      view.key,
      view.id,
    );
    expect(star.status).toBe(500);
    expect(() => t.realtime.channel('room:*')).toThrow(
      /invalid_channel|pushMatching/,
    );
    await t.realtime.push('marker', 'room:star');
    expect(await view.client.next()).toEqual({
      channel: 'room:star',
      payload: 'marker',
    });
    await view.client.close();
  });

  it('pushMatching reaches every matching subscribed channel, once per channel, never across ";"', async () => {
    const a = await openView(t, '/room/m1');
    const b = await openView(t, '/room/m2');
    const c = await openView(t, '/room/m1;x');
    await t.realtime.pushMatching('all', 'room:m*');
    expect(await a.client.next()).toEqual({
      channel: 'room:m1',
      payload: 'all',
    });
    expect(await b.client.next()).toEqual({
      channel: 'room:m2',
      payload: 'all',
    });
    await t.realtime.push('marker', 'room:m1;x');
    expect(await c.client.next()).toEqual({
      channel: 'room:m1;x',
      payload: 'marker',
    });
    await Promise.all([a, b, c].map((v) => v.client.close()));
  });

  it('names over maxChannelLength are refused; at the limit they work', async () => {
    const atLimit = 'L'.repeat(64);
    const view = await openView(t);
    const ok = await postJson(
      `${t.url}/subscribe`,
      { channels: [atLimit] },
      view.key,
      view.id,
    );
    expect(ok.status).toBe(200);
    await expect(t.realtime.push('m', atLimit + 'x')).rejects.toMatchObject({
      code: 'invalid_channel',
      message: expect.stringContaining('64') as string,
    });
    await expect(
      t.realtime.pushMatching('m', '*'.repeat(65)),
    ).rejects.toMatchObject({ code: 'invalid_channel' });
    await t.realtime.push('at limit', atLimit);
    expect(await view.client.next()).toEqual({
      channel: atLimit,
      payload: 'at limit',
    });
    await view.client.close();
  });

  it('pathological patterns are matched in linear time: the event loop never stalls 50 ms', async () => {
    const long = await boot({});
    try {
      const name = 'room:' + 'a'.repeat(250);
      const alternating = 'room:' + 'ab'.repeat(100);
      const view = await openView(long, '/plain');
      await postJson(
        `${long.url}/subscribe`,
        { channels: [name, name + 'b', alternating] },
        view.key,
        view.id,
      );
      const patterns = [
        'room:' + 'a*'.repeat(25) + 'b',
        'room:' + '*a'.repeat(25) + 'c',
        'room:*' + '*'.repeat(200) + 'x',
        'room:' + 'a*b*'.repeat(30) + 'z',
      ];
      let slowest = 0;
      for (const pattern of patterns) {
        const started = performance.now();
        const pushed = long.realtime.pushMatching('p', pattern);
        slowest = Math.max(slowest, performance.now() - started);
        await pushed;
      }
      expect(slowest).toBeLessThan(50);
      // Only the first pattern matched (`name + 'b'` and the alternating name); the marker comes next.
      await long.realtime.push('marker', name);
      expect([
        await view.client.next(),
        await view.client.next(),
        await view.client.next(),
      ]).toEqual([
        { channel: name + 'b', payload: 'p' },
        { channel: alternating, payload: 'p' },
        { channel: name, payload: 'marker' },
      ]);
      await view.client.close();
    } finally {
      await long.close();
    }
  });

  it('maxChannelsPerView: a subscribe past it rejects with too_many_channels and applies nothing', async () => {
    const small = await boot({ maxChannelsPerView: 3 });
    try {
      const view = await openView(small, '/room/one'); // holds room:one
      const over = await postJson(
        `${small.url}/subscribe`,
        { channels: ['a', 'b', 'c'] },
        view.key,
        view.id,
      );
      expect(over.status).toBe(500);
      const fits = await postJson(
        `${small.url}/subscribe`,
        { channels: ['a', 'b', 'room:one', 'a'] },
        view.key,
        view.id,
      );
      expect(fits.status).toBe(200);
      await small.realtime.push('c?', 'c');
      await small.realtime.push('b!', 'b');
      expect(await view.client.next()).toEqual({ channel: 'b', payload: 'b!' });
      await view.client.close();
    } finally {
      await small.close();
    }
  });
});

describe('defect 9 on the memory registry: sizes (SPEC §6.9, §7 maxChannelsPerView)', () => {
  it('10,000 channels in one subscribe work up to maxChannelsPerView; one more is refused whole', async () => {
    const t = await boot({ maxChannelsPerView: 10_000 });
    try {
      const view = await openView(t);
      const ok = await postJson(
        `${t.url}/bulk`,
        { prefix: 'bulk:', count: 10_000 },
        view.key,
        view.id,
      );
      expect(ok.status).toBe(200);
      const over = await postJson(
        `${t.url}/subscribe`,
        { channels: ['bulk:extra', 'bulk:0'] },
        view.key,
        view.id,
      );
      expect(over.status).toBe(500);
      await t.realtime.push('extra?', 'bulk:extra');
      await t.realtime.push('last', 'bulk:9999');
      expect(await view.client.next()).toEqual({
        channel: 'bulk:9999',
        payload: 'last',
      });
      expect(t.realtime.stats().channels).toBe(10_000);
      await view.client.close();
    } finally {
      await t.close();
    }
  });
});

describe('defect 8: a cross-site form cannot replace the key cookie (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await boot();
  });
  afterAll(() => t.close());

  const post = (site: string) =>
    fetch(`${t.url}/form`, {
      method: 'POST',
      headers: { 'sec-fetch-site': site },
    });

  it('a cross-site POST without a key gets no key cookie; same-origin requests and cross-site GETs do', async () => {
    const crossSite = await post('cross-site');
    expect(crossSite.status).toBe(200);
    expect(keyFromCookies(crossSite.headers.getSetCookie())).toBeUndefined();
    expect(
      keyFromCookies((await post('same-origin')).headers.getSetCookie()),
    ).toBeDefined();
    const navigation = await fetch(`${t.url}/send`, {
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(keyFromCookies(navigation.headers.getSetCookie())).toBeDefined();
  });
});

describe('defect 10: one issued id has one spelling (SPEC §5)', () => {
  const ALPHABET =
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  it('the 15 other spellings of the last character are inert and are not kept by HTTP requests', async () => {
    const t = await boot();
    try {
      const page = await getPage(`${t.url}/room/spell`);
      const id = page.connectionId as string;
      const last = ALPHABET.indexOf(id[id.length - 1]);
      const variants = Array.from(
        { length: 16 },
        (_, low) => (last & ~15) | low,
      )
        .filter((index) => index !== last)
        .map((index) => id.slice(0, -1) + ALPHABET[index]);
      expect(variants).toHaveLength(15);
      for (const variant of variants) {
        const client = await connect(t.url, {
          connectionId: variant,
          key: page.key,
        });
        await expectUnauthorized(client);
        await client.close();
        const who = (await (
          await fetch(`${t.url}/whoami`, {
            headers: {
              cookie: `realtime_key=${page.key}`,
              'x-socket-connection-id': variant,
            },
          })
        ).json()) as { connectionId: string };
        expect(who.connectionId).not.toBe(variant);
        expect(who.connectionId).not.toBe(id);
      }
    } finally {
      await t.close();
    }
  });
});

describe('defect 11: client-triggered protocol errors are not logged as errors (SPEC §5)', () => {
  it('bad UTF-8 and oversize frames are logged once each at warn, without a stack', async () => {
    const lines: Array<{ level: string; text: string }> = [];
    const record =
      (level: string) =>
      (...parts: unknown[]) =>
        lines.push({
          level,
          text: parts
            .map((p) =>
              p instanceof Error ? `${p.message}\n${p.stack}` : String(p),
            )
            .join(' '),
        });
    const logger: LoggerService = {
      log: record('log'),
      error: record('error'),
      warn: record('warn'),
      debug: record('debug'),
      verbose: record('verbose'),
    };
    const t = await boot({ maxPayload: 1024 }, logger);
    try {
      const badUtf8 = await openView(t);
      badUtf8.client.sendRaw(Buffer.from([0xff, 0xfe, 0xfd]), false);
      expect(await badUtf8.client.whenClosed()).toBe(1007);
      const big = await openView(t);
      big.client.sendRaw('x'.repeat(2000));
      expect(await big.client.whenClosed()).toBe(1009);
      await expect
        .poll(() => lines.filter((l) => l.level === 'warn').length, {
          timeout: 3000,
        })
        .toBeGreaterThanOrEqual(2);
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      const protocol = lines.filter((l) => /protocol error/i.test(l.text));
      expect(protocol).toHaveLength(2);
      for (const line of protocol) {
        expect(line.level).toBe('warn');
        expect(line.text).not.toMatch(/\n\s+at /);
      }
    } finally {
      await t.close();
    }
  });
});
