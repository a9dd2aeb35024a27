import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPage, postJson } from './support/http-client';
import { startApp, type TestApp } from './support/app';
import { connect, type TestClient } from './support/ws-client';

/** A browser view: a page render, then a socket with the page's id and the cookie. */
async function openView(
  t: TestApp,
  path: string,
  key?: string,
): Promise<{ client: TestClient; id: string; key: string }> {
  const page = await getPage(t.url + path, key);
  expect(page.status).toBe(200);
  expect(page.connectionId).toBeTruthy();
  expect(page.key).toBeTruthy();
  const client = await connect(t.url, {
    connectionId: page.connectionId,
    key: page.key,
  });
  return { client, id: page.connectionId as string, key: page.key as string };
}

describe('channels end to end (memory registry)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('delivers pushes on channels the page render subscribed, frames exact and compact', async () => {
    const { client } = await openView(t, '/room/a');
    // With history (the default) a resume frame comes first, naming the view's channels.
    expect(await client.resume()).toEqual({
      recovered: true,
      replayed: 0,
      epoch: { 'room:a': expect.stringMatching(/^[A-Za-z0-9_-]{8}$/) },
      failed: {},
    });
    // Pushed right after the client saw `open` (SPEC §6.2).
    await t.realtime.push({ text: 'hi', n: 1 }, 'room:a');
    expect(await client.nextRaw()).toBe(
      '{"channel":"room:a","payload":{"text":"hi","n":1},"offset":1}',
    );
    await client.close();
  });

  it('delivers on channels subscribed after the socket connected', async () => {
    const { client, id, key } = await openView(t, '/plain');
    const res = await postJson(
      `${t.url}/subscribe`,
      { channels: ['late'] },
      key,
      id,
    );
    expect(res.status).toBe(200);
    expect((res.body as { connectionId: string }).connectionId).toBe(id);
    await t.realtime.push('after', 'late');
    expect(await client.next()).toEqual({ channel: 'late', payload: 'after' });
    await client.close();
  });

  it('fans out to two clients and not to an unsubscribed one', async () => {
    const a = await openView(t, '/room/fan');
    const b = await openView(t, '/room/fan');
    const other = await openView(t, '/room/other');
    await t.realtime.push('to fan', 'room:fan');
    await t.realtime.push('to other', 'room:other');
    expect(await a.client.next()).toEqual({
      channel: 'room:fan',
      payload: 'to fan',
    });
    expect(await b.client.next()).toEqual({
      channel: 'room:fan',
      payload: 'to fan',
    });
    // The first frame the other client gets is the later message on its own channel.
    expect(await other.client.next()).toEqual({
      channel: 'room:other',
      payload: 'to other',
    });
    await Promise.all([
      a.client.close(),
      b.client.close(),
      other.client.close(),
    ]);
  });

  it('unsubscribe stops a live connection', async () => {
    const { client, id, key } = await openView(t, '/room/u');
    await postJson(`${t.url}/subscribe`, { channels: ['still'] }, key, id);
    await t.realtime.push(1, 'room:u');
    expect(await client.next()).toEqual({ channel: 'room:u', payload: 1 });
    const res = await postJson(
      `${t.url}/unsubscribe`,
      { channels: ['room:u'] },
      key,
      id,
    );
    expect(res.status).toBe(200);
    await t.realtime.push(2, 'room:u');
    await t.realtime.push(3, 'still');
    expect(await client.next()).toEqual({ channel: 'still', payload: 3 });
    await client.close();
  });

  it('an unsubscribe lasts: a reconnect within reconnectGrace does not get the channel back', async () => {
    const { client, id, key } = await openView(t, '/room/durable');
    await postJson(`${t.url}/subscribe`, { channels: ['kept'] }, key, id);
    await postJson(
      `${t.url}/unsubscribe`,
      { channels: ['room:durable'] },
      key,
      id,
    );
    await client.close();
    const again = await connect(t.url, { connectionId: id, key });
    await t.realtime.push('gone', 'room:durable');
    await t.realtime.push('marker', 'kept');
    expect(await again.next()).toEqual({ channel: 'kept', payload: 'marker' });
    await again.close();
  });

  it('sendTo reaches only that client view', async () => {
    const a = await openView(t, '/room/direct');
    const b = await openView(t, '/room/direct', a.key); // same browser, another tab: another view
    const who = await fetch(`${t.url}/whoami`, {
      headers: {
        cookie: `realtime_key=${a.key}`,
        'x-socket-connection-id': a.id,
      },
    });
    const { digest } = (await who.json()) as { digest: string };
    await t.realtime.sendTo(digest, { only: 'a' }, 'private');
    await t.realtime.push('both', 'room:direct');
    expect(await a.client.next()).toEqual({
      channel: 'private',
      payload: { only: 'a' },
    });
    expect(await a.client.next()).toEqual({
      channel: 'room:direct',
      payload: 'both',
    });
    expect(await b.client.next()).toEqual({
      channel: 'room:direct',
      payload: 'both',
    });
    await Promise.all([a.client.close(), b.client.close()]);
  });

  it('wildcard pushes reach every matching channel with the subscribed name, and stop at ";"', async () => {
    const one = await openView(t, '/room/w1');
    const two = await openView(t, '/room/w2');
    const semi = await openView(t, '/room/w;x');
    const both = await openView(t, '/room/w3');
    await postJson(
      `${t.url}/subscribe`,
      { channels: ['room:w4'] },
      both.key,
      both.id,
    );
    await t.realtime.pushMatching('star', 'room:w*');
    await t.realtime.push('end', 'room:w;x');
    expect(await one.client.next()).toEqual({
      channel: 'room:w1',
      payload: 'star',
    });
    expect(await two.client.next()).toEqual({
      channel: 'room:w2',
      payload: 'star',
    });
    expect(await semi.client.next()).toEqual({
      channel: 'room:w;x',
      payload: 'end',
    });
    const frames = [await both.client.next(), await both.client.next()];
    expect(frames.map((f) => f.channel).sort()).toEqual(['room:w3', 'room:w4']);
    await Promise.all([one, two, semi, both].map((v) => v.client.close()));
  });

  it('round-trips string, number, array, object, boolean and null payloads', async () => {
    const { client } = await openView(t, '/room/types');
    const payloads = [
      'text with "quotes" and ünïcode',
      42.5,
      [1, 'two', null],
      { nested: { deep: [true] } },
      false,
      null,
    ];
    for (const payload of payloads)
      await t.realtime.push(payload, 'room:types');
    for (const payload of payloads)
      expect(await client.next()).toEqual({ channel: 'room:types', payload });
    await client.close();
  });

  it('subscribing twice gives one frame per push; channels may be given as arrays', async () => {
    const { client, id, key } = await openView(t, '/room/twice');
    await postJson(
      `${t.url}/subscribe`,
      { channels: ['room:twice', 'room:twice'] },
      key,
      id,
    );
    await t.realtime.push('once', ['room:twice']);
    await t.realtime.push('marker', 'room:twice');
    expect(await client.next()).toEqual({
      channel: 'room:twice',
      payload: 'once',
    });
    expect(await client.next()).toEqual({
      channel: 'room:twice',
      payload: 'marker',
    });
    await client.close();
  });

  it('several connections with one id all receive; closing one leaves the other', async () => {
    const page = await getPage(`${t.url}/room/multi`);
    const first = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
    const second = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
    await t.realtime.push('both', 'room:multi');
    expect(await first.next()).toEqual({
      channel: 'room:multi',
      payload: 'both',
    });
    expect(await second.next()).toEqual({
      channel: 'room:multi',
      payload: 'both',
    });
    await first.close();
    await t.realtime.push('second only', 'room:multi');
    expect(await second.next()).toEqual({
      channel: 'room:multi',
      payload: 'second only',
    });
    await second.close();
  });

  it('push with no channels rejects with no_channels; bad channels and messages are refused', async () => {
    await expect(t.realtime.push('x')).rejects.toMatchObject({
      name: 'RealtimeError',
      code: 'no_channels',
    });
    await expect(t.realtime.push('x', [])).rejects.toMatchObject({
      code: 'no_channels',
    });
    await expect(t.realtime.push('x', '')).rejects.toMatchObject({
      code: 'invalid_channel',
    });
    await expect(t.realtime.push(undefined, 'c')).rejects.toMatchObject({
      code: 'invalid_message',
    });
    await expect(t.realtime.push({ big: 1n }, 'c')).rejects.toMatchObject({
      code: 'invalid_message',
    });
    await expect(
      t.realtime.sendTo('not-a-digest', 'x', 'c'),
    ).rejects.toMatchObject({ code: 'invalid_digest' });
  });

  it('events$ emits connect and disconnect with the id, digest and instance', async () => {
    const events: Array<{
      type: string;
      connectionId: string;
      digest: string;
      instanceId: string;
    }> = [];
    const subscription = t.realtime.events$.subscribe((e) => events.push(e));
    const { client, id } = await openView(t, '/plain');
    const connected = events.find(
      (e) => e.type === 'connect' && e.connectionId === id,
    );
    expect(connected).toBeDefined();
    expect(connected?.instanceId).toBe(t.realtime.stats().instanceId);
    expect(connected?.digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await client.close();
    await expect
      .poll(
        () =>
          events.some((e) => e.type === 'disconnect' && e.connectionId === id),
        { timeout: 3000 },
      )
      .toBe(true);
    subscription.unsubscribe();
  });

  it('channel() streams every payload pushed to a name, wildcards included', async () => {
    const seen: unknown[] = [];
    const subscription = t.realtime
      .channel<{ n: number }>('jobs:1')
      .subscribe((p) => seen.push(p));
    await t.realtime.push({ n: 1 }, 'jobs:1');
    await t.realtime.push({ n: 2 }, 'jobs:2');
    await t.realtime.pushMatching({ n: 3 }, 'jobs:*');
    subscription.unsubscribe();
    // After the unsubscribe nothing more arrives: a later observer sees the marker, this one does not.
    const later: unknown[] = [];
    const marker = t.realtime
      .channel<{ n: number }>('jobs:1')
      .subscribe((p) => later.push(p));
    await t.realtime.push({ n: 4 }, 'jobs:1');
    marker.unsubscribe();
    expect(later).toEqual([{ n: 4 }]);
    expect(seen).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('stats() counts connections, channels and frames', async () => {
    const before = t.realtime.stats();
    const { client } = await openView(t, '/room/stats');
    const during = t.realtime.stats();
    expect(during.connections).toBe(before.connections + 1);
    // room:stats is new: exactly one more channel with a local subscriber.
    expect(during.channels).toBe(before.channels + 1);
    await t.realtime.push('s', 'room:stats');
    await client.next();
    expect(t.realtime.stats().messagesOut).toBe(during.messagesOut + 1);
    await client.close();
    await expect
      .poll(() => t.realtime.stats().connections, { timeout: 3000 })
      .toBe(before.connections);
  });
});
