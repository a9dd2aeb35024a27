import { afterEach, describe, expect, it, vi } from 'vitest';
import { PendingAcks } from '../../src/registry/redis/pending-acks';

// The confirmations of a subscription change, by holder name (README "Registries and
// guarantees" 1): a holder that did not confirm is known by name, never hidden by a count.

describe('PendingAcks', () => {
  afterEach(() => vi.useRealTimers());

  it('resolves with nobody missing once every named holder confirmed', async () => {
    const acks = new PendingAcks();
    const { id, done } = acks.expect(['a', 'b'], 1000);
    acks.ack(id, 'a');
    acks.ack(id, 'a'); // twice counts once
    acks.ack(id, 'stranger'); // not a holder
    acks.ack(id + 1, 'b'); // another change
    let settled = false;
    void done.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    acks.ack(id, 'b');
    expect(await done).toEqual([]);
  });

  it('after the timeout, resolves with the holders that did not confirm', async () => {
    vi.useFakeTimers();
    const acks = new PendingAcks();
    const { id, done } = acks.expect(['a', 'b', 'c'], 500);
    acks.ack(id, 'b');
    vi.advanceTimersByTime(499);
    acks.ack(id, 'c');
    vi.advanceTimersByTime(1);
    expect(await done).toEqual(['a']);
    // Late confirmations are ignored.
    acks.ack(id, 'a');
  });

  it('fail rejects one change; rejectAll every pending one', async () => {
    const acks = new PendingAcks();
    const one = acks.expect(['a'], 1000);
    const two = acks.expect(['a'], 1000);
    const three = acks.expect(['a'], 1000);
    acks.fail(one.id, new Error('publish failed'));
    await expect(one.done).rejects.toThrow('publish failed');
    acks.rejectAll(new Error('closing'));
    await expect(two.done).rejects.toThrow('closing');
    await expect(three.done).rejects.toThrow('closing');
    expect(two.id).not.toBe(three.id);
  });
});
