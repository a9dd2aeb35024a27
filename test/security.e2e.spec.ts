import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPage, postJson } from './support/http-client';
import { startApp, type TestApp } from './support/app';
import { openView } from './support/views';
import { connect, handshakeStatus, type TestClient } from './support/ws-client';

/** Proves an inert socket: it is open, its requests get `unauthorized`, and a push on the view's channel never reaches it. */
async function expectInert(
  t: TestApp,
  client: TestClient,
  channel: string,
): Promise<void> {
  await t.realtime.push('secret', channel);
  expect(await client.request({ id: 'p', action: 'ping' })).toEqual({
    id: 'p',
    error: {
      code: 'unauthorized',
      message: 'this connection is not authorized',
    },
  });
  expect(
    await client.request({
      id: 7,
      action: 'call-route',
      method: 'GET',
      uri: '/json',
    }),
  ).toMatchObject({
    id: 7,
    error: { code: 'unauthorized' },
  });
  expect(client.frames).toEqual([]);
}

describe('identity and handshake security (SPEC §5)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a valid view receives and answers ping', async () => {
    const page = await getPage(`${t.url}/room/sec`);
    const client = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
    expect(await client.request({ id: 1, action: 'ping' })).toEqual({
      id: 1,
      payload: 'pong',
    });
    await t.realtime.push('ok', 'room:sec');
    expect(await client.next()).toEqual({ channel: 'room:sec', payload: 'ok' });
    await client.close();
  });

  it('a forged id is accepted but inert', async () => {
    const page = await getPage(`${t.url}/room/forged`);
    const forged = 'A'.repeat(44);
    const client = await connect(t.url, {
      connectionId: forged,
      key: page.key,
    });
    await expectInert(t, client, 'room:forged');
    await client.close();
  });

  it("another client's id presented with one's own key is inert", async () => {
    const victim = await getPage(`${t.url}/room/victim`);
    const attacker = await getPage(`${t.url}/plain`);
    expect(attacker.key).not.toBe(victim.key);
    const victimSocket = await connect(t.url, {
      connectionId: victim.connectionId,
      key: victim.key,
    });
    const client = await connect(t.url, {
      connectionId: victim.connectionId,
      key: attacker.key,
    });
    await expectInert(t, client, 'room:victim');
    // The real owner got the push the attacker did not.
    expect(await victimSocket.next()).toEqual({
      channel: 'room:victim',
      payload: 'secret',
    });
    await Promise.all([client.close(), victimSocket.close()]);
  });

  it('a missing id or a missing key is inert', async () => {
    const page = await getPage(`${t.url}/room/missing`);
    const noId = await connect(t.url, { key: page.key });
    await expectInert(t, noId, 'room:missing');
    const noKey = await connect(t.url, { connectionId: page.connectionId });
    await expectInert(t, noKey, 'room:missing');
    await Promise.all([noId.close(), noKey.close()]);
    expect(t.realtime.stats().rejections.invalid_connection ?? 0).toBe(0);
  });

  it('the key may come as X-Socket-Key or socket_key instead of the cookie', async () => {
    const page = await getPage(`${t.url}/room/nonbrowser`);
    const viaHeader = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
      keyVia: 'header',
    });
    const viaQuery = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
      keyVia: 'query',
    });
    await t.realtime.push('n', 'room:nonbrowser');
    expect(await viaHeader.next()).toEqual({
      channel: 'room:nonbrowser',
      payload: 'n',
    });
    expect(await viaQuery.next()).toEqual({
      channel: 'room:nonbrowser',
      payload: 'n',
    });
    await Promise.all([viaHeader.close(), viaQuery.close()]);
  });

  it('a foreign Origin and Origin: null get 403; the own origin passes', async () => {
    const page = await getPage(`${t.url}/plain`);
    const own = new URL(t.url).origin;
    const creds = { connectionId: page.connectionId, key: page.key };
    expect(await handshakeStatus(t.url, { ...creds, origin: own })).toBe(101);
    expect(
      await handshakeStatus(t.url, { ...creds, origin: 'http://evil.example' }),
    ).toBe(403);
    expect(await handshakeStatus(t.url, { ...creds, origin: 'null' })).toBe(
      403,
    );
    // Same host, other scheme or port: not the app's origin.
    const port = Number(new URL(t.url).port);
    expect(
      await handshakeStatus(t.url, {
        ...creds,
        origin: `https://127.0.0.1:${port}`,
      }),
    ).toBe(403);
    expect(
      await handshakeStatus(t.url, {
        ...creds,
        origin: `http://127.0.0.1:${port + 1}`,
      }),
    ).toBe(403);
    expect(t.realtime.stats().rejections.origin).toBe(4);
  });

  it('Origin and Host compare without case; a foreign origin in any case is refused', async () => {
    const page = await getPage(`${t.url}/plain`);
    const creds = { connectionId: page.connectionId, key: page.key };
    const port = Number(new URL(t.url).port);
    const status = (origin: string, host?: string) =>
      handshakeStatus(t.url, {
        ...creds,
        origin,
        headers: host ? { host } : {},
      });
    for (const foreign of [
      'https://EVIL.example',
      'http://Evil.Example',
      `HTTP://EVIL.EXAMPLE:${port}`,
      `http://127.0.0.1.evil.example:${port}`,
      `http://LOCALHOST.evil:${port}`,
    ])
      expect(await status(foreign), foreign).toBe(403);
    expect(await status(`HTTP://127.0.0.1:${port}`)).toBe(101);
    expect(await status(`http://localhost:${port}`, `LOCALHOST:${port}`)).toBe(
      101,
    );
    expect(await status(`http://LocalHost:${port}`, `localhost:${port}`)).toBe(
      101,
    );
    expect(
      await status(`http://localhost:${port + 1}`, `localhost:${port}`),
    ).toBe(403);
  });

  it('X-Forwarded-Proto counts for the own origin only with trustProxy', async () => {
    const trusting = await startApp({ trustProxy: true });
    try {
      for (const [app, trusted] of [
        [t, false],
        [trusting, true],
      ] as const) {
        const page = await getPage(`${app.url}/plain`);
        const http = new URL(app.url).origin;
        const https = http.replace(/^http:/, 'https:');
        const status = (origin: string) =>
          handshakeStatus(app.url, {
            connectionId: page.connectionId,
            key: page.key,
            origin,
            headers: { 'x-forwarded-proto': 'https' },
          });
        expect(await status(https)).toBe(trusted ? 101 : 403);
        expect(await status(http)).toBe(trusted ? 403 : 101);
      }
    } finally {
      await trusting.close();
    }
  });

  it('malformed requests get error frames and the connection stays open', async () => {
    const page = await getPage(`${t.url}/plain`);
    const client = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
    const cases: Array<[string | Buffer, boolean, unknown]> = [
      [
        'not json',
        false,
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'the frame is not valid JSON',
          },
        },
      ],
      [
        '[1,2]',
        false,
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'the frame must be a JSON object',
          },
        },
      ],
      [
        '"str"',
        false,
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'the frame must be a JSON object',
          },
        },
      ],
      [
        'null',
        false,
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'the frame must be a JSON object',
          },
        },
      ],
      [
        '{"action":"ping"}',
        false,
        {
          id: null,
          error: {
            code: 'bad_request',
            message: '"id" must be a string or a finite number',
          },
        },
      ],
      [
        '{"id":{},"action":"ping"}',
        false,
        { id: null, error: { code: 'bad_request' } },
      ],
      [
        '{"id":5}',
        false,
        {
          id: 5,
          error: {
            code: 'bad_request',
            message: '"action" must be a non-empty string',
          },
        },
      ],
      [
        '{"id":"x","action":42}',
        false,
        { id: 'x', error: { code: 'bad_request' } },
      ],
      [
        '{"id":"y","action":"nope"}',
        false,
        {
          id: 'y',
          error: {
            code: 'unknown_action',
            message: 'no handler for action "nope"',
          },
        },
      ],
      [
        '{"id":"z","action":"__proto__"}',
        false,
        { id: 'z', error: { code: 'unknown_action' } },
      ],
      [
        Buffer.from('{"id":1,"action":"ping"}'),
        true,
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'binary frames are not supported; send JSON text',
          },
        },
      ],
    ];
    for (const [data, binary, expected] of cases) {
      client.sendRaw(data, binary);
      expect(await client.next()).toMatchObject(expected as object);
    }
    expect(await client.request({ id: 'still', action: 'ping' })).toEqual({
      id: 'still',
      payload: 'pong',
    });
    await client.close();
  });
});

describe('strict mode and origin options', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({
      onInvalidConnection: 'reject',
      requireOrigin: true,
      allowedOrigins: ['https://app.example:8443'],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it("onInvalidConnection: 'reject' answers invalid handshakes with 403", async () => {
    const page = await getPage(`${t.url}/plain`);
    const other = await getPage(`${t.url}/plain`);
    const origin = new URL(t.url).origin;
    expect(
      await handshakeStatus(t.url, {
        connectionId: page.connectionId,
        key: page.key,
        origin,
      }),
    ).toBe(101);
    expect(
      await handshakeStatus(t.url, {
        connectionId: 'A'.repeat(44),
        key: page.key,
        origin,
      }),
    ).toBe(403);
    expect(
      await handshakeStatus(t.url, {
        connectionId: page.connectionId,
        key: other.key,
        origin,
      }),
    ).toBe(403);
    expect(await handshakeStatus(t.url, { key: page.key, origin })).toBe(403);
    expect(t.realtime.stats().rejections.invalid_connection).toBe(3);
  });

  it('requireOrigin refuses handshakes without Origin; allowedOrigins admits listed ones', async () => {
    const page = await getPage(`${t.url}/plain`);
    const creds = { connectionId: page.connectionId, key: page.key };
    expect(await handshakeStatus(t.url, creds)).toBe(403);
    expect(
      await handshakeStatus(t.url, {
        ...creds,
        origin: 'https://app.example:8443',
      }),
    ).toBe(101);
    expect(
      await handshakeStatus(t.url, { ...creds, origin: 'https://app.example' }),
    ).toBe(403);
  });

  it('an origin predicate decides for other origins', async () => {
    const app = await startApp({
      allowedOrigins: (origin) => origin.endsWith('.trusted.example'),
    });
    try {
      const page = await getPage(`${app.url}/plain`);
      const creds = { connectionId: page.connectionId, key: page.key };
      expect(
        await handshakeStatus(app.url, {
          ...creds,
          origin: 'https://a.trusted.example',
        }),
      ).toBe(101);
      expect(
        await handshakeStatus(app.url, {
          ...creds,
          origin: 'https://trusted.example.evil',
        }),
      ).toBe(403);
    } finally {
      await app.close();
    }
  });
});

describe('call-route cannot reach another client view', () => {
  it("presenting a victim's id in call-route input changes only the caller's own view", async () => {
    const t = await startApp({
      rateLimit: { messages: 100_000, interval: 1000 },
    });
    try {
      const victim = await openView(t, '/room/victim');
      const attacker = await openView(t);
      const unsub = await attacker.client.request({
        id: 1,
        action: 'call-route',
        method: 'POST',
        uri: '/unsubscribe',
        input: { channels: ['room:victim'], socket_connection_id: victim.id },
      });
      expect(unsub).toMatchObject({ payload: { status: 200 } });
      const sub = await attacker.client.request({
        id: 2,
        action: 'call-route',
        method: 'POST',
        uri: '/subscribe?socket_connection_id=' + victim.id,
        input: { channels: ['attacker-only'], socket_connection_id: victim.id },
      });
      expect(
        (sub.payload as { body: { connectionId: string } }).body.connectionId,
      ).toBe(attacker.id);
      await t.realtime.push('to victim', 'room:victim');
      await t.realtime.push('to attacker', 'attacker-only');
      expect(await victim.client.next()).toEqual({
        channel: 'room:victim',
        payload: 'to victim',
      });
      expect(await attacker.client.next()).toEqual({
        channel: 'attacker-only',
        payload: 'to attacker',
      });
      const http = await postJson(
        `${t.url}/subscribe`,
        { channels: ['x'] },
        attacker.key,
        victim.id,
      );
      expect((http.body as { connectionId: string }).connectionId).not.toBe(
        victim.id,
      );
      await Promise.all([victim.client.close(), attacker.client.close()]);
    } finally {
      await t.close();
    }
  });
});
