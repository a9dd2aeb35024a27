import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp, type TestApp } from './support/app';
import { connect, type TestClient } from './support/ws-client';
import { openView, rawSocket } from './support/views';

describe('stats() counters (SPEC §3)', () => {
  let t: TestApp;
  afterEach(async () => {
    vi.useRealTimers();
    await t?.close();
  });

  it('inertConnections, messagesIn and messagesOut count exactly', async () => {
    t = await startApp({});
    const valid = await openView(t, '/room/counted');
    const inert = await connect(t.url, {});
    const before = t.realtime.stats();
    expect(before.connections).toBe(2);
    expect(before.inertConnections).toBe(1);
    for (let i = 0; i < 3; i++)
      expect(await valid.client.request({ id: i, action: 'ping' })).toEqual({
        id: i,
        payload: 'pong',
      });
    expect(await inert.request({ id: 'x', action: 'ping' })).toMatchObject({
      error: { code: 'unauthorized' },
    });
    inert.sendRaw('not json');
    expect(await inert.next()).toMatchObject({
      error: { code: 'bad_request' },
    });
    await t.realtime.push('p', 'room:counted');
    expect(await valid.client.next()).toEqual({
      channel: 'room:counted',
      payload: 'p',
    });
    const after = t.realtime.stats();
    expect(after.messagesIn - before.messagesIn).toBe(5);
    // 3 pongs + 1 unauthorized + 1 bad_request + 1 push.
    expect(after.messagesOut - before.messagesOut).toBe(6);
    await inert.close();
    await expect
      .poll(() => t.realtime.stats().inertConnections, { timeout: 3000 })
      .toBe(0);
    await valid.client.close();
  });

  it('framesDropped counts pushes to a connection that is closing', async () => {
    t = await startApp({
      rateLimit: { messages: 1, interval: 60_000, closeAfter: 1 },
    });
    const { client } = await openView(t, '/room/drop');
    // It does not read the server's close frame, so its socket stays `closing` on the server.
    rawSocket(client).pause();
    client.sendRaw(JSON.stringify({ id: 1, action: 'ping' }));
    client.sendRaw(JSON.stringify({ id: 2, action: 'ping' }));
    await expect
      .poll(
        async () => {
          await t.realtime.push('late', 'room:drop');
          return t.realtime.stats().framesDropped;
        },
        { timeout: 3000 },
      )
      .toBeGreaterThanOrEqual(1);
    const dropped = t.realtime.stats().framesDropped;
    await t.realtime.push('later', 'room:drop');
    expect(t.realtime.stats().framesDropped).toBe(dropped + 1);
    rawSocket(client).resume();
    expect(await client.whenClosed()).toBe(1008);
    // The push counted as dropped never reached it.
    const payloads = client.rawFrames
      .map((f) => JSON.parse(f) as { payload?: unknown })
      .map((f) => f.payload);
    expect(payloads).not.toContain('later');
  });
});

describe('rateLimit refill (SPEC §7): a token bucket that forgives', () => {
  let t: TestApp;
  afterEach(async () => {
    vi.useRealTimers();
    await t?.close();
  });

  const ping = (client: TestClient, id: number) =>
    client.request({ id, action: 'ping' });

  it('refills continuously; a full bucket forgives earlier refusals; closeAfter refusals in a row close with 1008', async () => {
    // Only Date is faked: the bucket's clock moves when the test says so.
    vi.useFakeTimers({ toFake: ['Date'] });
    t = await startApp({
      rateLimit: { messages: 2, interval: 1000, closeAfter: 2 },
    });
    const { client } = await openView(t);
    expect(await ping(client, 1)).toMatchObject({ payload: 'pong' });
    expect(await ping(client, 2)).toMatchObject({ payload: 'pong' });
    expect(await ping(client, 3)).toMatchObject({
      error: { code: 'rate_limited' },
    });
    // Half an interval: one token back, and the refusal still counts.
    vi.advanceTimersByTime(500);
    expect(await ping(client, 4)).toMatchObject({ payload: 'pong' });
    // A whole interval: the bucket is full, so the earlier refusal is forgiven.
    vi.advanceTimersByTime(1000);
    expect(await ping(client, 5)).toMatchObject({ payload: 'pong' });
    expect(await ping(client, 6)).toMatchObject({ payload: 'pong' });
    expect(await ping(client, 7)).toMatchObject({
      error: { code: 'rate_limited' },
    });
    // Still open: one refusal since the bucket was full (closeAfter is 2).
    expect(client.closeCode).toBeUndefined();
    expect(await ping(client, 8)).toMatchObject({
      error: { code: 'rate_limited' },
    });
    expect(await client.whenClosed()).toBe(1008);
  });
});
