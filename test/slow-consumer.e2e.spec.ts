import type { LoggerService } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import type { RealtimeModuleOptions } from '../src';
import { SLOW_CONSUMER_CLOSE_TIMEOUT } from '../src/gateway/connection-hub';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp, type TestApp } from './support/app';
import { openView, rawSocket, turns } from './support/views';
import type { TestClient } from './support/ws-client';

const RELAXED = {
  rateLimit: { messages: 100_000, interval: 1000 },
} satisfies RealtimeModuleOptions;

describe('slow consumers (maxBufferedBytes → 4000)', () => {
  const MAX = 256 * 1024;
  const text = 'x'.repeat(20_000);
  const frameBytes = (i: number) =>
    Buffer.byteLength(
      JSON.stringify({ channel: 'room:feed', payload: { i, text } }),
    );

  /** Captures warn lines (the slow-consumer close logs its backlog). */
  function warnings(): { lines: string[]; logger: LoggerService } {
    const lines: string[] = [];
    const none = () => undefined;
    return {
      lines,
      logger: {
        log: none,
        error: none,
        debug: none,
        verbose: none,
        warn: (m: unknown) => lines.push(String(m)),
      },
    };
  }

  /** Pushes `count` 20 KB messages; the fast clients read as they come, in order. */
  async function pushAndRead(
    t: TestApp,
    fast: Array<{ client: TestClient }>,
    count: number,
    onPushed: () => void = () => undefined,
  ): Promise<void> {
    const received = fast.map(() => 0);
    for (let i = 0; i < count; i++) {
      await t.realtime.push({ i, text }, 'room:feed');
      onPushed();
      // Let the fast clients read (they share this process with the server).
      await new Promise((resolve) => setImmediate(resolve));
      for (const [n, { client }] of fast.entries()) {
        while (client.rawFrames.length > 0) {
          const frame = JSON.parse(client.rawFrames.shift() as string) as {
            payload: { i: number };
          };
          expect(frame.payload.i).toBe(received[n]++);
        }
      }
    }
    for (const [n, { client }] of fast.entries()) {
      while (received[n] < count)
        expect(((await client.next()).payload as { i: number }).i).toBe(
          received[n]++,
        );
    }
  }

  it('closes the client that stops reading at the limit exactly; the others receive all 1,000 messages', async () => {
    const { lines, logger } = warnings();
    const t = await startApp(
      { ...RELAXED, maxBufferedBytes: MAX },
      [FixtureController],
      [],
      { logger },
    );
    try {
      const fast = [
        await openView(t, '/room/feed'),
        await openView(t, '/room/feed'),
      ];
      const slow = await openView(t, '/room/feed');
      const outBefore = t.realtime.stats().messagesOut;
      rawSocket(slow.client).pause();
      // 20 KB each: 20 MB in all, far more than the loopback kernel buffers hold.
      await pushAndRead(t, fast, 1000);
      expect(t.realtime.stats().slowConsumerCloses).toBe(1);
      // Detected at the first write past the limit: the backlog is over it by less than a frame.
      const line = lines.find((l) => l.includes('Closed a slow consumer'));
      const backlog = Number(/backlog of (\d+) bytes/.exec(line ?? '')?.[1]);
      expect(backlog).toBeGreaterThan(MAX);
      expect(backlog).toBeLessThanOrEqual(MAX + frameBytes(999) + 14);
      expect(line).toContain(slow.id);
      rawSocket(slow.client).resume();
      expect(await slow.client.whenClosed()).toBe(4000);
      // What it got runs unbroken from the first message: nothing skipped, nothing after the cut.
      const got = slow.client.rawFrames.map(
        (f) => (JSON.parse(f) as { payload: { i: number } }).payload.i,
      );
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(got.map((_, i) => i));
      // Every frame the server wrote was received: 1,000 to each fast client, `got` to the slow one.
      expect(t.realtime.stats().messagesOut - outBefore).toBe(
        2 * 1000 + got.length,
      );
      await expect
        .poll(() => t.realtime.stats().closes.slow_consumer, { timeout: 3000 })
        .toBe(1);
      await Promise.all(fast.map((v) => v.client.close()));
    } finally {
      await t.close();
    }
  });

  it(`drops a slow consumer whose closing handshake has not completed ${SLOW_CONSUMER_CLOSE_TIMEOUT} ms after the close`, async () => {
    const t = await startApp({ ...RELAXED, maxBufferedBytes: MAX });
    try {
      const fast = [await openView(t, '/room/feed')];
      const slow = await openView(t, '/room/feed');
      rawSocket(slow.client).pause();
      // Only the slow-consumer timer is faked: sockets, ws and Nest keep real time.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        await pushAndRead(t, fast, 400);
        expect(t.realtime.stats().slowConsumerCloses).toBe(1);
        vi.advanceTimersByTime(SLOW_CONSUMER_CLOSE_TIMEOUT - 1);
        await turns(20);
        // It left the fan-out at once, but its socket is not closed yet.
        expect(t.realtime.stats().closes.slow_consumer).toBeUndefined();
        vi.advanceTimersByTime(1);
        const closed = () => t.realtime.stats().closes.slow_consumer;
        for (let i = 0; i < 10_000 && closed() === undefined; i++)
          await turns(1);
      } finally {
        vi.useRealTimers();
      }
      expect(t.realtime.stats().closes.slow_consumer).toBe(1);
      rawSocket(slow.client).resume();
      // Dropped, not closed: its close frame never got out from behind the backlog.
      expect(await slow.client.whenClosed()).toBe(1006);
      await fast[0].client.close();
    } finally {
      await t.close();
    }
  });
});
