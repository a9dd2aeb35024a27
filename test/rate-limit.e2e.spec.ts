import { describe, expect, it } from 'vitest';
import { startApp } from './support/app';
import { openView } from './support/views';

describe('flood (rateLimit → rate_limited, then 1008)', () => {
  it('a client sending as fast as it can is refused, then closed; others are unaffected', async () => {
    const t = await startApp({
      rateLimit: { messages: 100, interval: 60_000, closeAfter: 3 },
    });
    try {
      const other = await openView(t, '/room/calm');
      const flooder = await openView(t);
      for (let i = 0; i < 5000 && flooder.client.ws.readyState === 1; i++)
        flooder.client.sendRaw(JSON.stringify({ id: i, action: 'ping' }));
      expect(await flooder.client.whenClosed()).toBe(1008);
      const frames = flooder.client.rawFrames.map(
        (f) =>
          JSON.parse(f) as {
            id: number;
            payload?: string;
            error?: { code: string };
          },
      );
      // The first 100 requests were within budget; the next three were refused, the third
      // closing the socket. (Replies still in flight when it closed are lost with it.)
      const refused = frames.filter((f) => f.error?.code === 'rate_limited');
      expect(refused.map((f) => f.id)).toEqual([100, 101, 102]);
      expect(
        frames.filter((f) => f.payload === 'pong').every((f) => f.id < 100),
      ).toBe(true);
      expect(
        await other.client.request({ id: 'calm', action: 'ping' }),
      ).toEqual({ id: 'calm', payload: 'pong' });
      await t.realtime.push('still', 'room:calm');
      expect(await other.client.next()).toEqual({
        channel: 'room:calm',
        payload: 'still',
      });
      expect(t.realtime.stats().closes.rate_limited).toBe(1);
      await other.client.close();
    } finally {
      await t.close();
    }
  });
});
