import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { RealtimeModuleOptions } from '../src';
import { encodeSince } from '../src/protocol/resume';
import { startApp, type TestApp } from './support/app';
import { frames, open, push, render } from './support/history-views';
import { postJson } from './support/http-client';
import { connect, handshakeStatus, type TestClient } from './support/ws-client';

// README "Delivery guarantees" on the memory registry: the render gap, reconnects with
// `since`, the reasons a channel cannot be recovered, wildcard stamping, the history
// API, and `history: false`. Frames are read with their offsets (`offsets: 'keep'`).

const SECRET = 'a-fixed-secret-for-the-history-tests-0123456789';
const apps: TestApp[] = [];

async function app(options: RealtimeModuleOptions = {}): Promise<TestApp> {
  const t = await startApp({ secret: SECRET, ...options });
  apps.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((t) => t.close()));
});

/** The resume frame of a connection the server knows nothing for. */
const unknownView = (...channels: string[]) => ({
  recovered: false,
  replayed: 0,
  epoch: {},
  failed: Object.fromEntries(channels.map((c) => [c, 'unknown_view'])),
});

describe('no gap on the memory registry', () => {
  it('render gap: five pushes between subscribe() and the socket arrive, in order, after a resume frame with replayed 5, before any live push', async () => {
    const t = await app();
    const view = await render(t, 'gap');
    for (let n = 1; n <= 5; n++) await t.realtime.push({ n }, 'gap');
    const client = await open(t, view);
    const resume = await client.resume();
    expect(resume).toEqual({
      recovered: true,
      replayed: 5,
      epoch: { gap: expect.any(String) },
      failed: {},
    });
    // The resume frame came before anything else.
    expect(client.framesBefore).toEqual([0]);
    await t.realtime.push({ n: 6 }, 'gap');
    expect(await frames(client, 6)).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => push('gap', { n }, n)),
    );
    await client.close();
  });

  it('reconnect with since: what was pushed while away is replayed once; a later connection without since replays nothing', async () => {
    const t = await app();
    const view = await render(t, 'away');
    const first = await open(t, view);
    await first.resume();
    await t.realtime.push('a', 'away');
    expect(await first.next()).toEqual(push('away', 'a', 1));
    const since = first.positions;
    expect(since).toEqual({ away: [expect.any(String), 1] });
    await first.close();
    await t.realtime.push('b', 'away');
    await t.realtime.push('c', 'away');

    const again = await open(t, view, since);
    expect(await again.resume()).toMatchObject({
      recovered: true,
      replayed: 2,
    });
    await t.realtime.push('d', 'away');
    expect(await frames(again, 3)).toEqual([
      push('away', 'b', 2),
      push('away', 'c', 3),
      push('away', 'd', 4),
    ]);
    // Not the view's first connection and no since: nothing is replayed.
    const third = await open(t, view);
    expect(await third.resume()).toMatchObject({
      recovered: true,
      replayed: 0,
    });
    await t.realtime.push('e', 'away');
    expect(await third.next()).toEqual(push('away', 'e', 5));
    await Promise.all([again.close(), third.close()]);
  });

  it('offset 0 in since means "from where the view subscribed": nothing from before the render is replayed', async () => {
    const t = await app();
    const earlier = await render(t, 'zero');
    await t.realtime.push('before the render', 'zero');
    const view = await render(t, 'zero');
    const first = await open(t, view);
    const { epoch } = await first.resume();
    await first.close();
    await t.realtime.push('while away', 'zero');
    const again = await open(t, view, { zero: [epoch.zero, 0] });
    expect(await again.resume()).toMatchObject({
      recovered: true,
      replayed: 1,
    });
    expect(await again.next()).toEqual(push('zero', 'while away', 2));
    await again.close();
    expect(earlier.id).not.toBe(view.id);
  });

  it('more missed than history.size: that channel fails with limit and replays nothing, the others replay', async () => {
    const t = await app({ history: { size: 3 } });
    const view = await render(t, 'big', 'small');
    for (let n = 1; n <= 4; n++) await t.realtime.push(n, 'big');
    await t.realtime.push('s1', 'small');
    const client = await open(t, view);
    expect(await client.resume()).toEqual({
      recovered: false,
      replayed: 1,
      epoch: { big: expect.any(String), small: expect.any(String) },
      failed: { big: 'limit' },
    });
    await t.realtime.push(5, 'big');
    // Nothing of `big` before the live push: the small one, then big's live 5.
    expect(await frames(client, 2)).toEqual([
      push('small', 's1', 1),
      push('big', 5, 5),
    ]);
    await client.close();
  });

  it('maxReplay is a total per connection: the largest gap fails first, until the rest fits', async () => {
    const t = await app({ history: { maxReplay: 4 } });
    const view = await render(t, 'a', 'b', 'c');
    for (let n = 1; n <= 3; n++) await t.realtime.push(n, 'a');
    for (let n = 1; n <= 2; n++) await t.realtime.push(n, 'b');
    for (let n = 1; n <= 2; n++) await t.realtime.push(n, 'c');
    const client = await open(t, view);
    const resume = await client.resume();
    expect(resume).toMatchObject({
      recovered: false,
      replayed: 4,
      failed: { a: 'limit' },
    });
    const got = await frames(client, 4);
    expect(got).toEqual(
      expect.arrayContaining([
        push('b', 1, 1),
        push('b', 2, 2),
        push('c', 1, 1),
        push('c', 2, 2),
      ]),
    );
    await client.close();
  });

  it('a message older than history.ttl: the channel fails with expired', async () => {
    const t = await app({ history: { ttl: 40 } });
    const view = await render(t, 'old', 'fresh');
    await t.realtime.push('stale', 'old');
    // Time passing is what is tested here, not a delivery.
    await new Promise((resolve) => setTimeout(resolve, 120));
    await t.realtime.push('new', 'fresh');
    const client = await open(t, view);
    expect(await client.resume()).toMatchObject({
      recovered: false,
      replayed: 1,
      failed: { old: 'expired' },
    });
    expect(await client.next()).toEqual(push('fresh', 'new', 1));
    await client.close();
  });

  it('a memory app restarted with the same secret: the valid id is told unknown_view, never silence', async () => {
    const before = await app();
    const view = await render(before, 'restart');
    const client = await open(before, view);
    const { epoch } = await client.resume();
    await before.close();
    apps.splice(apps.indexOf(before), 1);
    expect(await client.whenClosed()).toBe(1001);

    const after = await app();
    const again = await open(after, view, {
      restart: [epoch.restart, 0],
    });
    expect(await again.resume()).toEqual(unknownView('restart'));
    await again.close();
  });

  it('an inert connection presenting since is told unknown_view for each channel', async () => {
    const t = await app();
    const client = await connect(t.url, {
      connectionId: 'not-issued',
      key: 'x'.repeat(43),
      since: { chat: ['e1', 3] },
      offsets: 'keep',
    });
    expect(await client.resume()).toEqual(unknownView('chat'));
    await client.close();
  });

  it('a malformed since is refused with 400', async () => {
    const t = await app();
    const view = await render(t, 'bad');
    const status = (since: string) =>
      handshakeStatus(t.url, {
        connectionId: view.id,
        key: view.key,
        path: `/?since=${since}`,
      });
    expect(await status('not*base64')).toBe(400);
    expect(await status(encodeSince({ bad: ['', 1] }))).toBe(400);
    expect(await status(Buffer.from('[1,2]').toString('base64url'))).toBe(400);
    expect(t.realtime.stats().rejections).toMatchObject({ bad_since: 3 });
  });

  it('a channel added to a live connection gets a resume frame naming only it, then its pushes with offsets', async () => {
    const t = await app();
    const view = await render(t, 'first');
    const client = await open(t, view);
    expect(Object.keys((await client.resume()).epoch)).toEqual(['first']);
    const res = await postJson(
      `${t.url}/subscribe`,
      { channels: ['second'] },
      view.key,
      view.id,
    );
    expect(res.status).toBe(200);
    expect(await client.resume()).toEqual({
      recovered: true,
      replayed: 0,
      epoch: { second: expect.any(String) },
      failed: {},
    });
    await t.realtime.push('x', 'second');
    expect(await client.next()).toEqual(push('second', 'x', 1));
    await client.close();
  });

  it('pushMatching stamps each matched channel; server-side listeners hear it once', async () => {
    const t = await app();
    const view = await render(t, 'room:w1', 'room:w2');
    const client = await open(t, view);
    await client.resume();
    const heard: unknown[] = [];
    const listening = t.realtime
      .channel('room:w1')
      .subscribe((payload) => heard.push(payload));
    await t.realtime.push('one', 'room:w1');
    await t.realtime.pushMatching('all', 'room:w*');
    const got = await frames(client, 3);
    expect(got).toEqual(
      expect.arrayContaining([
        push('room:w1', 'one', 1),
        push('room:w1', 'all', 2),
        push('room:w2', 'all', 1),
      ]),
    );
    expect(heard).toEqual(['one', 'all']);
    listening.unsubscribe();
    expect((await t.realtime.history('room:w2')).messages).toEqual([
      { offset: 1, payload: 'all' },
    ]);
    await client.close();
  });

  it('history(): the newest messages or those after an offset; render them and subscribe from exactly there', async () => {
    const t = await app();
    expect(await t.realtime.history('nobody')).toEqual({
      epoch: null,
      offset: 0,
      messages: [],
    });
    const view = await render(t, 'log');
    for (let n = 1; n <= 5; n++) await t.realtime.push({ n }, 'log');
    const last = await t.realtime.history('log', { limit: 2 });
    expect(last).toEqual({
      epoch: expect.any(String),
      offset: 5,
      messages: [
        { offset: 4, payload: { n: 4 } },
        { offset: 5, payload: { n: 5 } },
      ],
    });
    expect(
      (await t.realtime.history('log', { since: 3 })).messages.map(
        (m) => m.offset,
      ),
    ).toEqual([4, 5]);
    // The page rendered 4 and 5 and presents their position: only later ones come.
    await t.realtime.push({ n: 6 }, 'log');
    const client = await open(t, view, {
      log: [last.epoch as string, last.offset],
    });
    expect(await client.resume()).toMatchObject({ replayed: 1 });
    expect(await client.next()).toEqual(push('log', { n: 6 }, 6));
    await client.close();
    for (const query of [{ since: -1 }, { since: 1.5 }, { limit: 0 }])
      await expect(t.realtime.history('log', query)).rejects.toMatchObject({
        code: 'bad_request',
      });
    await expect(t.realtime.history('a*')).rejects.toMatchObject({
      code: 'invalid_channel',
    });
  });

  it('history: false gives the first wave frames: no resume frame, no offset, nothing replayed', async () => {
    const t = await app({ history: false });
    const view = await render(t, 'plain');
    await t.realtime.push('lost before the socket', 'plain');
    const client = await open(t, view);
    await t.realtime.push('live', 'plain');
    expect(await client.nextRaw()).toBe('{"channel":"plain","payload":"live"}');
    expect(client.resumes).toEqual([]);
    await expect(t.realtime.history('plain')).rejects.toMatchObject({
      code: 'history_off',
    });
    await client.close();
  });
});

type Step =
  | { kind: 'push'; channel: 'p1' | 'p2' }
  | { kind: 'drop'; view: 0 | 1 }
  | { kind: 'reconnect'; view: 0 | 1 };

describe('no gap, property: random pushes, drops and reconnects (memory registry)', () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('push' as const),
        channel: fc.constantFrom('p1' as const, 'p2' as const),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('drop' as const),
        view: fc.constantFrom(0 as const, 1 as const),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('reconnect' as const),
        view: fc.constantFrom(0 as const, 1 as const),
      }),
    },
  );

  it('every client gets each channel exactly as pushed, or was told recovered: false for it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(3, 100),
        async (steps, size) => {
          const t = await app({ history: { size } });
          try {
            const channels = ['p1', 'p2'] as const;
            const pushed: Record<string, number[]> = { p1: [], p2: [] };
            const views = await Promise.all(
              [0, 1].map(async () => ({
                identity: await render(t, ...channels),
                client: undefined as TestClient | undefined,
                since: undefined as TestClient['positions'] | undefined,
                got: { p1: [] as number[], p2: [] as number[] },
                failed: new Set<string>(),
              })),
            );
            let n = 0;
            const collect = (
              view: (typeof views)[number],
              client: TestClient,
            ) => {
              for (const frame of client.frames) {
                const f = frame as { channel: 'p1' | 'p2'; payload: number };
                view.got[f.channel].push(f.payload);
              }
              client.rawFrames.length = 0;
              for (const r of client.resumes)
                for (const ch of Object.keys(r.failed)) view.failed.add(ch);
              client.resumes.length = 0;
            };
            const reconnect = async (view: (typeof views)[number]) => {
              if (view.client) return;
              view.client = await open(t, view.identity, view.since);
              await view.client.resume();
            };
            const drop = async (view: (typeof views)[number]) => {
              const client = view.client;
              if (!client) return;
              await client.close();
              collect(view, client);
              view.since = client.positions;
              view.client = undefined;
            };
            for (const s of steps) {
              if (s.kind === 'push') {
                pushed[s.channel].push(++n);
                await t.realtime.push(n, s.channel);
              } else if (s.kind === 'drop') await drop(views[s.view]);
              else await reconnect(views[s.view]);
            }
            // Everyone back, then a last push per channel that each must get.
            for (const view of views) await reconnect(view);
            for (const channel of channels) {
              pushed[channel].push(++n);
              await t.realtime.push(n, channel);
            }
            for (const view of views) {
              const client = view.client as TestClient;
              const last = [pushed.p1.at(-1), pushed.p2.at(-1)];
              const seen = new Set<number>();
              while (!last.every((x) => seen.has(x as number))) {
                const f = (await client.next()) as {
                  channel: 'p1' | 'p2';
                  payload: number;
                };
                view.got[f.channel].push(f.payload);
                seen.add(f.payload);
              }
              collect(view, client);
              for (const channel of channels) {
                const got = view.got[channel];
                if (view.failed.has(channel)) {
                  // Told: what it got is still in order and without repeats.
                  expect([...got].sort((a, b) => a - b)).toEqual(got);
                  expect(new Set(got).size).toBe(got.length);
                } else expect(got).toEqual(pushed[channel]);
              }
              // With room for everything, nothing fails.
              if (size === 100) expect([...view.failed]).toEqual([]);
              await client.close();
            }
          } finally {
            await t.close();
            apps.splice(apps.indexOf(t), 1);
          }
        },
      ),
      { seed: 20261206, numRuns: 25 },
    );
  });
});
