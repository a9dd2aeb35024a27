import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeModuleOptions } from '../src';
import { FixtureController } from './fixtures/fixture.controller';
import { PLATFORM, startApp, type TestApp } from './support/app';
import { openView } from './support/views';

const RELAXED = {
  rateLimit: { messages: 100_000, interval: 1000 },
} satisfies RealtimeModuleOptions;

@Controller('api')
class EchoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

describe('bad input never breaks the server (SPEC §4, §7)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(RELAXED, [FixtureController, EchoController]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers every malformed frame with its exact error and keeps the socket open', async () => {
    const { client } = await openView(t);
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const cases: Array<[string, unknown]> = [
      ['not json at all', { id: null, error: { code: 'bad_request' } }],
      [
        '[1,2,3]',
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'the frame must be a JSON object',
          },
        },
      ],
      [
        '"a string"',
        {
          id: null,
          error: {
            code: 'bad_request',
            message: 'the frame must be a JSON object',
          },
        },
      ],
      ['12', { id: null, error: { code: 'bad_request' } }],
      [
        '{"id":1e400,"action":"ping"}',
        {
          id: null,
          error: {
            code: 'bad_request',
            message: '"id" must be a string or a finite number',
          },
        },
      ],
      [
        '{"id":123456789012345678901234567890,"action":"ping"}',
        { id: 1.2345678901234568e29, payload: 'pong' },
      ],
      [
        `{"id":"deep","action":"ping","nested":${deep}}`,
        { id: 'deep', payload: 'pong' },
      ],
      ['{"action":"ping"}', { id: null, error: { code: 'bad_request' } }],
      [
        '{"id":true,"action":"ping"}',
        { id: null, error: { code: 'bad_request' } },
      ],
      [
        '{"id":"a"}',
        {
          id: 'a',
          error: {
            code: 'bad_request',
            message: '"action" must be a non-empty string',
          },
        },
      ],
      ['{"id":"b","action":""}', { id: 'b', error: { code: 'bad_request' } }],
      [
        '{"id":"c","action":["ping"]}',
        { id: 'c', error: { code: 'bad_request' } },
      ],
      [
        '{"id":"d","action":"constructor"}',
        { id: 'd', error: { code: 'unknown_action' } },
      ],
      [
        '{"id":"e","action":"toString"}',
        { id: 'e', error: { code: 'unknown_action' } },
      ],
      [
        '{"id":"f","action":"call-route","method":"GET\\r\\nX-Injected: 1","uri":"/json"}',
        { id: 'f', error: { code: 'bad_request' } },
      ],
      [
        '{"id":"g","action":"call-route","method":"GET","uri":"/json HTTP/1.1\\r\\nHost: evil"}',
        { id: 'g', error: { code: 'bad_request' } },
      ],
    ];
    for (const [frame, expected] of cases) {
      client.sendRaw(frame);
      expect(await client.next()).toMatchObject(expected as object);
    }
    client.sendRaw(Buffer.from('{"id":1,"action":"ping"}'), true);
    expect(await client.next()).toMatchObject({
      id: null,
      error: { code: 'bad_request' },
    });
    expect(client.closeCode).toBeUndefined();
    await client.close();
  });

  it('prototype-pollution keys in messages and call-route input pollute nothing', async () => {
    const { client } = await openView(t);
    client.sendRaw(
      '{"id":"p1","action":"ping","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    );
    expect(await client.next()).toEqual({ id: 'p1', payload: 'pong' });
    const input = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"ok":1}',
    );
    const reply = await client.request({
      id: 'p2',
      action: 'call-route',
      method: 'POST',
      uri: '/api/echo',
      input,
    });
    // Fastify's JSON parser refuses a body with __proto__ (its onProtoPoisoning default): 400.
    expect(reply).toMatchObject({
      id: 'p2',
      payload: { status: PLATFORM === 'fastify' ? 400 : 200 },
    });
    const get = await client.request({
      id: 'p3',
      action: 'call-route',
      method: 'GET',
      uri: '/json',
      input,
    });
    expect(get).toMatchObject({ id: 'p3', payload: { status: 200 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(
      (Object.prototype as Record<string, unknown>).polluted,
    ).toBeUndefined();
    await client.close();
  });

  it('a frame split into 10,000 fragments is reassembled and answered', async () => {
    const { client } = await openView(t);
    const text = JSON.stringify({ id: 'frag', action: 'ping' }).padEnd(
      10_000,
      ' ',
    );
    for (let i = 0; i < text.length; i++)
      client.ws.send(text[i], { fin: i === text.length - 1, binary: false });
    expect(await client.next(10_000)).toEqual({ id: 'frag', payload: 'pong' });
    await client.close();
  });

  it('a frame of maxPayload + 1 bytes closes the socket with 1009', async () => {
    const { client } = await openView(t);
    client.sendRaw(
      JSON.stringify({
        id: 1,
        action: 'ping',
        pad: 'x'.repeat(64 * 1024),
      }).slice(0, 64 * 1024 + 1),
    );
    expect(await client.whenClosed()).toBe(1009);
  });

  it('invalid UTF-8 in a text frame closes the socket with 1007', async () => {
    const { client } = await openView(t);
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await client.whenClosed()).toBe(1007);
  });

  it('a 1 MB call-route uri: 1009 under the default maxPayload, bad_request when the frame is allowed', async () => {
    const uri = '/' + 'a'.repeat(1024 * 1024);
    const small = await openView(t);
    small.client.sendRaw(
      JSON.stringify({ id: 'u', action: 'call-route', method: 'GET', uri }),
    );
    expect(await small.client.whenClosed()).toBe(1009);

    const big = await startApp({ ...RELAXED, maxPayload: 2 * 1024 * 1024 });
    try {
      const { client } = await openView(big);
      const reply = await client.request({
        id: 'u',
        action: 'call-route',
        method: 'GET',
        uri,
      });
      expect(reply).toMatchObject({
        id: 'u',
        error: {
          code: 'bad_request',
          message: '"uri" must be at most 8192 characters',
        },
      });
      await client.close();
    } finally {
      await big.close();
    }
  });

  it('after oversize and bad-UTF-8 closes, a normal client on the same server still works; each close is counted', async () => {
    const before = t.realtime.stats().closes;
    const big = await openView(t);
    big.client.sendRaw('x'.repeat(64 * 1024 + 1));
    expect(await big.client.whenClosed()).toBe(1009);
    const bad = await openView(t);
    bad.client.ws.send(Buffer.from([0xff]), { binary: false });
    expect(await bad.client.whenClosed()).toBe(1007);
    const { client } = await openView(t, '/room/after');
    await t.realtime.push('fine', 'room:after');
    expect(await client.next()).toEqual({
      channel: 'room:after',
      payload: 'fine',
    });
    expect(await client.request({ id: 1, action: 'ping' })).toEqual({
      id: 1,
      payload: 'pong',
    });
    await expect
      .poll(() => t.realtime.stats().closes.invalid_payload ?? 0, {
        timeout: 3000,
      })
      .toBe((before.invalid_payload ?? 0) + 1);
    await expect
      .poll(() => t.realtime.stats().closes.message_too_big ?? 0, {
        timeout: 3000,
      })
      .toBe((before.message_too_big ?? 0) + 1);
    await client.close();
  });
});
