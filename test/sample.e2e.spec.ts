import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// The sample imports the package by name: this runs it against the build in dist/,
// created exactly as `npm start` creates it.
import { createSampleApp } from '../sample/bootstrap';
import { getPage } from './support/http-client';
import { connect, type Frame, type TestClient } from './support/ws-client';

/**
 * Every frame a client received, in order. `take` returns the first frame not taken
 * yet that matches — waiting for it, bounded — and leaves the others for later
 * `take`s (clock ticks arrive all the time, and a push can overtake its reply).
 */
class Inbox {
  readonly received: Frame[] = [];
  private readonly taken = new Set<Frame>();

  constructor(readonly client: TestClient) {}

  async take(match: (frame: Frame) => boolean, timeout = 3000): Promise<Frame> {
    const deadline = Date.now() + timeout;
    for (let i = 0; ; i++) {
      for (; i < this.received.length; i++) {
        const frame = this.received[i];
        if (!this.taken.has(frame) && match(frame)) {
          this.taken.add(frame);
          return frame;
        }
      }
      const left = deadline - Date.now();
      const next =
        left > 0 ? await this.client.next(left).catch(() => null) : null;
      if (!next)
        throw new Error(
          `no matching frame within ${timeout} ms; received ${JSON.stringify(this.received)}`,
        );
      this.received.push(next);
      i--;
    }
  }

  /** The channels of every push received so far. */
  channels(): Set<unknown> {
    return new Set(this.received.map((frame) => frame.channel).filter(Boolean));
  }
}

/** Polls `read` until `accept` says yes, at most `timeout` ms. */
async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeout = 3000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`still ${JSON.stringify(value)} after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A push on `channel` (presence frames on it, `{channel, presence}`, are not pushes). */
const onChannel = (channel: string) => (frame: Frame) =>
  frame.channel === channel && !('presence' in frame);

describe('the sample chat (what `npm start` runs)', () => {
  let app: INestApplication;
  let url: string;
  const clients: TestClient[] = [];
  let nextId = 1;

  beforeAll(async () => {
    app = await createSampleApp({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Renders a page like a browser (`key`: the browser's cookie) and opens its socket. */
  async function openView(path: string, key?: string) {
    const page = await getPage(`${url}${path}`, key);
    expect(page.status).toBe(200);
    const client = await connect(url, {
      connectionId: page.connectionId,
      key: page.key,
      origin: url,
    });
    clients.push(client);
    return { page, inbox: new Inbox(client) };
  }

  /** Sends a request frame and returns the reply (or error frame) with its id. */
  async function request(
    inbox: Inbox,
    action: string,
    fields: Record<string, unknown>,
  ): Promise<Frame> {
    const id = nextId++;
    inbox.client.ws.send(JSON.stringify({ id, action, ...fields }));
    return inbox.take((frame) => frame.id === id);
  }

  const postOverSocket = (inbox: Inbox, room: string, input: unknown) =>
    request(inbox, 'call-route', {
      method: 'POST',
      uri: `/rooms/${room}/messages`,
      input,
    });

  const stats = async () =>
    (await (await fetch(`${url}/stats.json`)).json()) as {
      connections: number;
      registry: { kind: string };
    };

  it('/ redirects to the lobby; room names are checked', async () => {
    const home = await fetch(`${url}/`, { redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/rooms/lobby');
    expect((await fetch(`${url}/rooms/Not-A-Room`)).status).toBe(400);
    expect((await fetch(`${url}/rooms/${'a'.repeat(33)}`)).status).toBe(400);
  });

  it('a room page loads the browser client, and its render subscribed the view', async () => {
    const { page, inbox } = await openView('/rooms/lobby');
    expect(page.html).toMatch(/<body data-socket-connection-id="[^"]+"/);
    expect(page.html).toContain('<script src="/realtime/client.js"></script>');
    expect(page.html).toContain('Realtime.connect()');
    const script = await fetch(`${url}/realtime/client.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('Realtime');
    // The render subscribed the view to chat:lobby, typing:lobby and clock.
    expect(
      await postOverSocket(inbox, 'lobby', { name: 'ada', text: 'hi' }),
    ).toMatchObject({ payload: { status: 202 } });
    await inbox.take(onChannel('chat:lobby'));
    expect(
      await request(inbox, 'chat:typing', { room: 'lobby', name: 'ada' }),
    ).toMatchObject({ payload: { ok: true } });
    await inbox.take(onChannel('typing:lobby'));
    await inbox.take(onChannel('clock'));
  });

  it('a message posted over the socket (call-route) reaches the views of its room, and not another room', async () => {
    const ada = await openView('/rooms/lobby');
    // A second tab of the same browser (same key, new view), and another browser.
    const adaTab = await openView('/rooms/lobby', ada.page.key);
    const bob = await openView('/rooms/lobby');
    const other = await openView('/rooms/other');

    const reply = await postOverSocket(ada.inbox, 'lobby', {
      name: 'ada',
      text: '  hello lobby  ',
    });
    expect(reply).toEqual({
      id: reply.id,
      payload: {
        status: 202,
        headers: expect.any(Object),
        body: { ok: true },
      },
    });
    for (const view of [ada, adaTab, bob]) {
      const frame = await view.inbox.take(onChannel('chat:lobby'));
      expect(frame.payload).toEqual({
        name: 'ada',
        text: 'hello lobby',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }

    // `other` gets the next message of its own room, and nothing of the lobby
    // before it (one socket delivers in order).
    expect(
      await postOverSocket(other.inbox, 'other', {
        name: 'cy',
        text: 'hello other',
      }),
    ).toMatchObject({ payload: { status: 202 } });
    const frame = await other.inbox.take(onChannel('chat:other'));
    expect(frame.payload).toMatchObject({ name: 'cy', text: 'hello other' });
    expect(other.inbox.channels()).not.toContain('chat:lobby');
    // Bob reads up to a later lobby message: nothing of the other room came before it.
    await postOverSocket(ada.inbox, 'lobby', { name: 'ada', text: 'marker' });
    await bob.inbox.take(
      (f) =>
        f.channel === 'chat:lobby' &&
        (f.payload as { text?: string }).text === 'marker',
    );
    expect(bob.inbox.channels()).not.toContain('chat:other');
  });

  it('a room shows who is here: each browser is a guest made by the server, joins reach the room, the list is answered', async () => {
    const ada = await openView('/rooms/here');
    const adaGuest = /data-user="(guest-\d{4})"/.exec(ada.page.html)?.[1];
    expect(adaGuest).toBeDefined();
    const bob = await openView('/rooms/here');
    const bobGuest = /data-user="(guest-\d{4})"/.exec(bob.page.html)?.[1];
    expect(bobGuest).toBeDefined();
    // bob's join reaches ada's socket (presence: ['chat:*'] in the sample's options).
    const joined = await ada.inbox.take(
      (frame) =>
        frame.channel === 'chat:here' &&
        (frame as { presence?: { join?: { user: string } } }).presence?.join
          ?.user === bobGuest,
    );
    expect(joined).toEqual({
      channel: 'chat:here',
      presence: { join: { user: bobGuest, info: null } },
    });
    const listed = await request(bob.inbox, 'presence', {
      channel: 'chat:here',
    });
    expect(
      (listed.payload as Array<{ user: string }>).map((p) => p.user).sort(),
    ).toEqual([adaGuest, bobGuest].sort());
    // typing:<room> is not shared: refused.
    expect(
      await request(bob.inbox, 'presence', { channel: 'typing:here' }),
    ).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('an invalid message gets the 400 of ValidationPipe in the call-route reply', async () => {
    const { inbox } = await openView('/rooms/lobby');
    expect(
      await postOverSocket(inbox, 'lobby', { name: 'ada', text: '   ' }),
    ).toMatchObject({
      payload: {
        status: 400,
        body: { statusCode: 400, message: ['text should not be empty'] },
      },
    });
    const bad = await postOverSocket(inbox, 'lobby', {
      name: 'x'.repeat(33),
      text: 'y'.repeat(501),
    });
    expect(bad.payload).toMatchObject({ status: 400 });
    expect(
      (bad.payload as { body: { message: string[] } }).body.message,
    ).toEqual(
      expect.arrayContaining([
        'name must be shorter than or equal to 32 characters',
        'text must be shorter than or equal to 500 characters',
      ]),
    );
    expect(
      await postOverSocket(inbox, 'Bad-Room', { name: 'ada', text: 'x' }),
    ).toMatchObject({ payload: { status: 400 } });
    // Nothing was pushed: the next tick comes with no chat message before it.
    await inbox.take(onChannel('clock'));
    expect(inbox.channels()).toEqual(new Set(['clock']));
  });

  it('chat:typing reaches the typing channel of the room only, and is validated', async () => {
    const ada = await openView('/rooms/lobby');
    const bob = await openView('/rooms/lobby');
    const other = await openView('/rooms/other');
    expect(
      await request(ada.inbox, 'chat:typing', { room: 'lobby', name: ' ada ' }),
    ).toMatchObject({ payload: { ok: true } });
    expect(await bob.inbox.take(onChannel('typing:lobby'))).toEqual({
      channel: 'typing:lobby',
      payload: { name: 'ada' },
    });

    for (const fields of [
      { room: 'No Room', name: 'ada' },
      { room: 'lobby', name: ' ' },
      { room: 'lobby', name: 'x'.repeat(33) },
      { room: 'lobby' },
    ]) {
      expect(await request(ada.inbox, 'chat:typing', fields)).toMatchObject({
        error: { code: 'bad_request' },
      });
    }
    // `other` gets its own room's typing, and saw none of the lobby's before it.
    await request(other.inbox, 'chat:typing', { room: 'other', name: 'cy' });
    await other.inbox.take(onChannel('typing:other'));
    expect(other.inbox.channels()).not.toContain('typing:lobby');
  });

  it('the server clock ticks to every room page', async () => {
    const { inbox } = await openView('/rooms/random');
    const frame = await inbox.take(onChannel('clock'), 3000);
    const now = Date.parse((frame.payload as { now: string }).now);
    expect(Math.abs(now - Date.now())).toBeLessThan(5000);
  });

  it('/stats.json counts the connections; the stats page receives them live', async () => {
    await eventually(stats, (s) => s.connections === 0);
    await openView('/rooms/lobby');
    const statsView = await openView('/stats');
    expect(statsView.page.html).toContain('Realtime stats');
    expect(statsView.page.html).toMatch(
      /<tr data-key="connections"><th>connections<\/th><td[^>]*>1<\/td><\/tr>/,
    );
    expect(await stats()).toMatchObject({
      connections: 2,
      registry: { kind: 'memory' },
    });
    const frame = await statsView.inbox.take(onChannel('stats'));
    expect(frame.payload).toMatchObject({ connections: 2 });
    await clients.shift()?.close();
    await eventually(stats, (s) => s.connections === 1);
  });
});

describe('npm start', () => {
  it('serves the sample, and a SIGTERM to the npm process stops the server and frees its port', async () => {
    // --ignore-scripts skips prestart (the build): `npm test` has built dist and dist-sample.
    const npm = spawn('npm', ['start', '--ignore-scripts'], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) =>
      npm.once('exit', (code) => resolve(code)),
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(
          () => reject(new Error(`no URL within 15 s: ${out}`)),
          15_000,
        );
        npm.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/[\d.:]+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      const page = await fetch(`${url}/rooms/lobby`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/data-socket-connection-id="/);
      npm.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<string>((resolve) =>
          setTimeout(() => resolve('still running'), 10_000),
        ),
      ]);
      expect(code).not.toBe('still running');
      // The server is gone with it: nothing listens on its port any more.
      await expect(fetch(`${url}/rooms/lobby`)).rejects.toThrow();
    } finally {
      npm.kill('SIGKILL');
    }
  }, 30_000);
});
