import type { INestApplication } from '@nestjs/common';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSampleApp } from '../sample/bootstrap';
import {
  artifactPath,
  hasChromium,
  launchChromium,
  recordStates,
  waitForStates,
  warnNoChromium,
} from './support/browser';

const SUITE = 'the sample chat in a real browser (Chromium)';
warnNoChromium(SUITE);

/** Every wait on the page is bounded by this. */
const WAIT = 5000;

/** The server side of the sample's sockets. The sample runs the built package, so
 * this is the class from dist/ too (the package exports no such API). */
interface ServerConnection {
  ws: { terminate(): void };
}
const { ConnectionHub } = createRequire(__filename)(
  join(__dirname, '..', 'dist', 'gateway', 'connection-hub.js'),
) as {
  ConnectionHub: abstract new (...args: never[]) => {
    all(): Iterable<ServerConnection>;
  };
};

describe.skipIf(!hasChromium)(SUITE, () => {
  let app: INestApplication;
  let url: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Uncaught errors and console errors of the pages, but those a test expects. */
  const problems: string[] = [];
  let tolerated: RegExp | undefined;
  const tolerate = (pattern: RegExp) => (tolerated = pattern);

  beforeAll(async () => {
    const started = createSampleApp({ logger: false }).then(async (created) => {
      app = created;
      await app.listen(0, '127.0.0.1');
      url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    });
    [browser] = await Promise.all([launchChromium(), started]);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    const unexpected = problems
      .splice(0)
      .filter((problem) => !tolerated?.test(problem));
    tolerated = undefined;
    expect(unexpected).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** A browser profile of its own: another cookie jar, another socket key. */
  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({
      viewport: { width: 1000, height: 700 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(WAIT);
    contexts.push(context);
    return context;
  }

  function watch(page: Page, label: string): void {
    page.on('pageerror', (error) =>
      problems.push(`${label}: ${error.message}`),
    );
    page.on('console', (entry) => {
      if (entry.type() === 'error') problems.push(`${label}: ${entry.text()}`);
    });
  }

  /** Opens a room as `name`, once its socket is open. */
  async function openRoom(
    context: BrowserContext,
    room: string,
    name: string,
  ): Promise<Page> {
    const page = await context.newPage();
    watch(page, room);
    await page.goto(`${url}/rooms/${room}`);
    await page.locator('#state[data-state="open"]').waitFor();
    await page.fill('#name', name);
    return page;
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
    // Posted: the page empties the input once the server answered 202.
    await expect
      .poll(() => page.inputValue('#text'), { timeout: WAIT })
      .toBe('');
  }

  const message = (page: Page, name: string, text: string) =>
    page
      .locator('#messages li')
      .filter({ has: page.locator('strong', { hasText: name }) })
      .filter({ hasText: text });

  it('a room shows who is here: two tabs of one browser are one guest, another browser is a second', async () => {
    const mine = await newContext();
    const first = await openRoom(mine, 'here', 'ada');
    const me = await first.locator('body').getAttribute('data-user');
    expect(me).toMatch(/^guest-\d{4}$/);
    await first
      .locator('#here', { hasText: `Here now: ${me} (you)` })
      .waitFor();
    const second = await openRoom(mine, 'here', 'ada');
    expect(await second.locator('body').getAttribute('data-user')).toBe(me);
    await second
      .locator('#here', { hasText: `Here now: ${me} (you)` })
      .waitFor();

    const other = await openRoom(await newContext(), 'here', 'bo');
    const them = await other.locator('body').getAttribute('data-user');
    expect(them).not.toBe(me);
    // The join reaches both tabs live; the new page lists both from its request.
    for (const page of [first, second])
      await expect
        .poll(() => page.locator('#here').textContent(), { timeout: WAIT })
        .toBe(`Here now: ${me} (you), ${them}`);
    await expect
      .poll(async () =>
        ((await other.locator('#here').textContent()) ?? '')
          .replace('Here now: ', '')
          .split(', ')
          .sort(),
      )
      .toEqual([me, `${them} (you)`].sort());
  });

  it('a message typed in one tab appears in the other tab of the room', async () => {
    const context = await newContext();
    const alice = await openRoom(context, 'lobby', 'alice');
    const bob = await openRoom(context, 'lobby', 'bob');

    await say(alice, 'Hello from alice');
    await message(bob, 'alice', 'Hello from alice').waitFor();
    await message(alice, 'alice', 'Hello from alice').waitFor();

    await bob.fill('#text', 'Hi alice, bob here');
    await bob.click('#send');
    await message(alice, 'bob', 'Hi alice, bob here').waitFor();
    expect(await alice.locator('#messages li').count()).toBe(2);

    await alice.screenshot({ path: artifactPath('chat-alice.png') });
    await bob.screenshot({ path: artifactPath('chat-bob.png') });
  });

  it('"is typing" shows in the other tab; validation errors show under the input', async () => {
    const context = await newContext();
    const alice = await openRoom(context, 'lobby', 'alice');
    const bob = await openRoom(context, 'lobby', 'bob');

    await alice.fill('#text', 'I am typ');
    await bob.locator('#typing', { hasText: 'alice is typing…' }).waitFor();
    // Not in alice's own tab: bob types next, and alice's tab shows bob alone (her own
    // notice, had the page shown it, came first on her socket).
    await bob.fill('#text', 'me t');
    await alice.locator('#typing', { hasText: 'bob is typing…' }).waitFor();
    expect(await alice.locator('#typing').textContent()).toBe('bob is typing…');

    await alice.fill('#text', '   ');
    await alice.press('#text', 'Enter');
    await alice
      .locator('#errors li', { hasText: 'text should not be empty' })
      .waitFor();
    await alice.fill('#name', 'x'.repeat(40)); // too long: the page keeps "alice"
    await say(alice, 'fixed');
    await alice.locator('#errors li').waitFor({ state: 'detached' });
    await message(bob, 'alice', 'fixed').waitFor();
  });

  it('another browser in the room receives; a page in another room does not', async () => {
    const alice = await openRoom(await newContext(), 'lobby', 'alice');
    const carol = await openRoom(await newContext(), 'lobby', 'carol');
    const dave = await openRoom(await newContext(), 'random', 'dave');
    const erin = await openRoom(await newContext(), 'random', 'erin');

    await say(alice, 'Only for the lobby');
    await message(carol, 'alice', 'Only for the lobby').waitFor();

    // dave's socket delivers in order: had the lobby message reached him, it would
    // be on the page before this later message of his own room.
    await say(erin, 'Meanwhile in random');
    await message(dave, 'erin', 'Meanwhile in random').waitFor();
    expect(await dave.locator('#messages li').allTextContents()).toEqual([
      expect.stringContaining('Meanwhile in random'),
    ]);
    // carol reads up to a later lobby message: nothing of random came before it.
    await say(alice, 'Later in the lobby');
    await message(carol, 'alice', 'Later in the lobby').waitFor();
    expect(await carol.locator('#messages').textContent()).not.toContain(
      'Meanwhile in random',
    );
  });

  it('when the server drops every socket, the pages reconnect and keep receiving', async () => {
    const alice = await openRoom(await newContext(), 'lobby', 'alice');
    const bob = await openRoom(await newContext(), 'lobby', 'bob');
    for (const page of [alice, bob]) await recordStates(page);

    const sockets = [...app.get(ConnectionHub).all()];
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    for (const connection of sockets) connection.ws.terminate();

    // Each page shows it lost the socket, then shows it open again.
    for (const page of [alice, bob])
      await waitForStates(page, ['reconnecting', 'open'], WAIT);
    await say(alice, 'Still here after the reconnect');
    await message(bob, 'alice', 'Still here after the reconnect').waitFor();
    // The clock ticks again too.
    const before = await bob.locator('#clock').getAttribute('datetime');
    await bob.locator(`#clock:not([datetime="${before}"])`).waitFor({
      timeout: 3000,
    });
  });

  it('after a server restart (new secret, empty registry) the pages reload themselves and work again', async () => {
    const alice = await openRoom(await newContext(), 'lobby', 'alice');
    const bob = await openRoom(await newContext(), 'lobby', 'bob');
    const ids = await Promise.all(
      [alice, bob].map((page) =>
        page.locator('body').getAttribute('data-socket-connection-id'),
      ),
    );
    // Chromium logs the refused reconnects while the server is down.
    tolerate(/WebSocket connection to .* failed/);

    const { port } = new URL(url);
    await app.close();
    app = await createSampleApp({ logger: false });
    await app.listen(Number(port), '127.0.0.1');

    // The old ids were issued under the old secret: the reconnected sockets are
    // inert, their resume frame says recovered: false (unknown_view) and the pages
    // reload themselves (sample/layout.ts) with new ids.
    for (const [i, page] of [alice, bob].entries()) {
      await page
        .locator(`body:not([data-socket-connection-id="${ids[i]}"])`)
        .waitFor({ timeout: 10_000 });
      await page.locator('#state[data-state="open"]').waitFor();
    }
    // The nickname survived the reload (localStorage).
    expect(await bob.inputValue('#name')).toBe('bob');
    await say(alice, 'Back after the restart');
    await message(bob, 'alice', 'Back after the restart').waitFor();
  });

  it('the stats page shows the counters live', async () => {
    const stats = await (await newContext()).newPage();
    watch(stats, 'stats');
    await stats.goto(`${url}/stats`);
    await stats.locator('#state[data-state="open"]').waitFor();
    const connections = stats.locator('tr[data-key="connections"] td');
    // The first push after the page's own socket opened counts it.
    await stats
      .locator('tr[data-key="connections"] td', { hasText: /^1$/ })
      .waitFor();
    await openRoom(await newContext(), 'lobby', 'alice');
    await stats
      .locator('tr[data-key="connections"] td', { hasText: /^2$/ })
      .waitFor({ timeout: 3000 });
    expect(await connections.textContent()).toBe('2');
    await stats.screenshot({ path: artifactPath('stats.png') });
  });

  it('screenshot of the lobby (docs/sample.png with UPDATE_SAMPLE_SCREENSHOT=1)', async () => {
    const context = await newContext();
    const ada = await openRoom(context, 'lobby', 'ada');
    const grace = await openRoom(await newContext(), 'lobby', 'grace');
    await say(ada, 'Morning! Is the new chat live?');
    await say(grace, 'Yes: every message reaches every tab of the room.');
    await say(ada, 'Even when the connection drops?');
    await say(grace, 'The page reconnects by itself and keeps its channels.');
    await message(ada, 'grace', 'keeps its channels').waitFor();
    await grace.fill('#text', 'Open the stats page to see the soc');
    await ada.locator('#typing', { hasText: 'grace is typing…' }).waitFor();
    await ada.locator('#clock[datetime]').waitFor();
    const shot = artifactPath('sample-lobby.png');
    await ada.screenshot({ path: shot });
    if (process.env.UPDATE_SAMPLE_SCREENSHOT) {
      mkdirSync(join(__dirname, '..', 'docs'), { recursive: true });
      copyFileSync(shot, join(__dirname, '..', 'docs', 'sample.png'));
    }
  });
});
