import { Controller, Get, Header, Param } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Socket, type RealtimeSocket } from '../src';
import { startApp, type TestApp } from './support/app';
import { hasChromium, launchChromium, warnNoChromium } from './support/browser';
import {
  redisAvailable,
  startRedis,
  type RedisProcess,
} from './support/redis-server';

// README "Revocation" in a real browser: a user's two tabs, each on another instance
// of a Redis-backed app, are closed with 4001 by one disconnect({ user }); the browser
// client in each page goes to 'closed' and makes no other socket.

const SUITE = 'revocation in Chromium, two instances on Redis';
warnNoChromium(SUITE);

/** A page that counts the sockets it makes and shows the client's state and pushes. */
const html = (
  title: string,
) => `<!doctype html><html><head><title>${title}</title></head><body>
<p id="state" data-state="none"></p><ul id="got"></ul>
<script src="/realtime/client.js"></script>
<script>
  window.sockets = 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url) { super(url); window.sockets++; }
  };
  const rt = Realtime.connect({ minDelay: 10, maxDelay: 20 });
  rt.onState((state) => { const el = document.getElementById('state'); el.dataset.state = state; el.textContent = state; });
  rt.on('room:lobby', (payload) => {
    const li = document.createElement('li');
    li.textContent = String(payload);
    document.getElementById('got').appendChild(li);
  });
</script></body></html>`;

@Controller()
class TabController {
  @Get('as/:user')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async page(
    @Param('user') user: string,
    @Socket() socket: RealtimeSocket,
  ): Promise<string> {
    await socket.identify(user);
    await socket.subscribe('room:lobby');
    return html(user);
  }
}

describe.skipIf(!hasChromium || !redisAvailable())(SUITE, () => {
  let redis: RedisProcess;
  let a: TestApp;
  let b: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    redis = await startRedis();
    const options = {
      registry: 'redis' as const,
      redis: redis.url,
      secret: 'a-fixed-secret-for-the-browser-revocation-test-01',
      keyPrefix: 'brev:',
    };
    [a, b, browser] = await Promise.all([
      startApp(options, [TabController]),
      startApp(options, [TabController]),
      launchChromium(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  async function open(t: TestApp, user: string): Promise<Page> {
    // Each tab its own profile: its own key cookie, like another browser.
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await page.goto(`${t.url.replace('[::1]', '127.0.0.1')}/as/${user}`);
    await page.locator('#state[data-state="open"]').waitFor();
    return page;
  }

  it("disconnect({ user }) closes the user's tab on each instance with 4001; each client stays closed and opens no other socket", async () => {
    const alice1 = await open(a, 'alice');
    const alice2 = await open(b, 'alice');
    const bob = await open(b, 'bob');
    expect(await a.realtime.disconnect({ user: 'alice' }, 'logged out')).toBe(
      2,
    );
    for (const tab of [alice1, alice2])
      await tab.locator('#state[data-state="closed"]').waitFor();
    // Bob's tab gets a push: its round trip is far longer than the clients' 10–20 ms backoff.
    await a.realtime.push('after the logout', 'room:lobby');
    await bob.locator('#got li', { hasText: 'after the logout' }).waitFor();
    for (const tab of [alice1, alice2]) {
      expect(
        await tab.evaluate(
          () => (globalThis as never as { sockets: number }).sockets,
        ),
      ).toBe(1);
      expect(await tab.locator('#state').getAttribute('data-state')).toBe(
        'closed',
      );
      expect(await tab.locator('#got li').count()).toBe(0);
    }
  });
});
