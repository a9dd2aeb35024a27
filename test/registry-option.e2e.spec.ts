import { describe, expect, it } from 'vitest';
import type { RealtimeRegistry } from '../src';
import { MemoryRegistry } from '../src/registry/memory.registry';
import { startApp } from './support/app';
import { openView } from './support/views';

/** A registry of the app's own: here the memory one, counting what goes through it. */
class CountingRegistry extends MemoryRegistry implements RealtimeRegistry {
  override readonly kind = 'counting';
  published: string[][] = [];

  override publish(channels: readonly string[], json: string): Promise<void> {
    this.published.push([...channels]);
    return super.publish(channels, json);
  }
}

describe('registry: an instance of the app’s own (SPEC §13: another broker)', () => {
  it('is used as given: subscriptions and pushes go through it; stats name its kind', async () => {
    const registry = new CountingRegistry({
      pendingTtl: 60_000,
      reconnectGrace: 60_000,
      maxChannelsPerView: 100,
      history: { size: 10, ttl: 60_000, maxReplay: 100 },
    });
    const t = await startApp({ registry });
    try {
      const { client } = await openView(t, '/room/own');
      // Its history is used: the resume frame names the view's channel.
      expect(Object.keys((await client.resume()).epoch)).toEqual(['room:own']);
      await t.realtime.push('through it', 'room:own');
      expect(await client.next()).toEqual({
        channel: 'room:own',
        payload: 'through it',
      });
      expect(registry.published).toEqual([['room:own']]);
      expect(t.realtime.stats().registry).toEqual({
        kind: 'counting',
        ready: true,
      });
      await client.close();
    } finally {
      await t.close();
    }
  });

  it('one that keeps no history fails boot naming the option, and boots with history: false (frames without offsets)', async () => {
    const bare = () =>
      new CountingRegistry({
        pendingTtl: 60_000,
        reconnectGrace: 60_000,
        maxChannelsPerView: 100,
      });
    await expect(startApp({ registry: bare() })).rejects.toThrow(
      /option "history".*kind "counting".*keeps no history.*history: false/,
    );
    const t = await startApp({ registry: bare(), history: false });
    try {
      const { client } = await openView(t, '/room/own');
      await t.realtime.push('plain', 'room:own');
      expect(await client.nextRaw()).toBe(
        '{"channel":"room:own","payload":"plain"}',
      );
      expect(client.resumes).toEqual([]);
      await client.close();
    } finally {
      await t.close();
    }
  });
});
