import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/gateway/rate-limiter';
import { RealtimeConnection } from '../../src/gateway/realtime-connection';
import { TurnCork } from '../../src/gateway/turn-cork';
import type { RealtimeUpgradeRequest } from '../../src/interfaces/realtime-message';

// SPEC §7 `rateLimit`: `messages` per `interval`, refilled continuously; refusals
// are strikes (the gateway closes with 1008 at `closeAfter`); a full bucket forgives.
// Powers of two keep the refill arithmetic exact: 4 messages per 4096 ms = 1 per 1024 ms.

const T0 = 1_000_000;

function connection(messages: number): RealtimeConnection {
  const c = new RealtimeConnection(
    {} as WebSocket,
    {} as RealtimeUpgradeRequest,
    null,
    null,
    null,
    { address: '127.0.0.1', key: undefined },
    messages,
    {
      maxBufferedBytes: 0,
      cork: new TurnCork(),
      sent: () => undefined,
      slowConsumer: () => undefined,
    },
  );
  c.refilledAt = T0;
  return c;
}

describe('RateLimiter', () => {
  it('keeps closeAfter', () => {
    expect(
      new RateLimiter({ messages: 1, interval: 1, closeAfter: 7 }).closeAfter,
    ).toBe(7);
  });

  it('a new connection has a full bucket: `messages` requests at once, then refusals', () => {
    const limiter = new RateLimiter({
      messages: 4,
      interval: 4096,
      closeAfter: 3,
    });
    const c = connection(4);
    for (let i = 0; i < 4; i++) expect(limiter.take(c, T0)).toBe(true);
    expect(c.tokens).toBe(0);
    expect(limiter.take(c, T0)).toBe(false);
    expect(c.tokens).toBe(0);
  });

  it('refills continuously: one token per interval/messages', () => {
    const limiter = new RateLimiter({
      messages: 4,
      interval: 4096,
      closeAfter: 3,
    });
    const c = connection(4);
    for (let i = 0; i < 4; i++) limiter.take(c, T0);
    expect(limiter.take(c, T0 + 1023)).toBe(false);
    expect(c.tokens).toBeCloseTo(1023 / 1024, 10);
    expect(limiter.take(c, T0 + 1024)).toBe(true);
    expect(c.tokens).toBe(0);
    expect(c.refilledAt).toBe(T0 + 1024);
    // Half an interval gives half the bucket.
    expect(limiter.take(c, T0 + 1024 + 2048)).toBe(true);
    expect(c.tokens).toBe(1);
    expect(limiter.take(c, T0 + 1024 + 2048)).toBe(true);
    expect(limiter.take(c, T0 + 1024 + 2048)).toBe(false);
  });

  it('exactly one token left is enough', () => {
    const limiter = new RateLimiter({
      messages: 4,
      interval: 4096,
      closeAfter: 3,
    });
    const c = connection(4);
    c.tokens = 1;
    expect(limiter.take(c, T0)).toBe(true);
    expect(c.tokens).toBe(0);
  });

  it('a long pause refills the bucket to its capacity, not beyond', () => {
    const limiter = new RateLimiter({
      messages: 4,
      interval: 4096,
      closeAfter: 3,
    });
    const c = connection(4);
    c.tokens = 0;
    expect(limiter.take(c, T0 + 10 * 4096)).toBe(true);
    expect(c.tokens).toBe(3);
    for (let i = 0; i < 3; i++)
      expect(limiter.take(c, T0 + 10 * 4096)).toBe(true);
    expect(limiter.take(c, T0 + 10 * 4096)).toBe(false);
  });

  it('counts refusals as strikes; a granted request in between does not reset them', () => {
    const limiter = new RateLimiter({
      messages: 4,
      interval: 4096,
      closeAfter: 3,
    });
    const c = connection(4);
    for (let i = 0; i < 4; i++) limiter.take(c, T0);
    expect(c.strikes).toBe(0);
    expect(limiter.take(c, T0)).toBe(false);
    expect(limiter.take(c, T0)).toBe(false);
    expect(c.strikes).toBe(2);
    expect(limiter.take(c, T0 + 1024)).toBe(true);
    expect(c.strikes).toBe(2);
    expect(limiter.take(c, T0 + 1024)).toBe(false);
    expect(c.strikes).toBe(3);
  });

  it('a full bucket (a whole calm interval) forgives the strikes', () => {
    const limiter = new RateLimiter({
      messages: 4,
      interval: 4096,
      closeAfter: 3,
    });
    const c = connection(4);
    for (let i = 0; i < 6; i++) limiter.take(c, T0);
    expect(c.strikes).toBe(2);
    // Three quarters refilled: not forgiven yet.
    expect(limiter.take(c, T0 + 3072)).toBe(true);
    expect(c.strikes).toBe(2);
    // From empty (2 tokens left now) to exactly full.
    expect(limiter.take(c, T0 + 3072 + 2048)).toBe(true);
    expect(c.strikes).toBe(0);
  });
});

describe('RateLimiter and a wall clock that steps back', () => {
  it('an idle connection keeps its full bucket when the clock is set back (no refusal, no strike)', () => {
    const limiter = new RateLimiter({
      messages: 3,
      interval: 3000,
      closeAfter: 3,
    });
    const c = connection(3);
    // The system clock is set back a minute (NTP, a VM resumed).
    const earlier = T0 - 60_000;
    for (let i = 0; i < 3; i++) expect(limiter.take(c, earlier + i)).toBe(true);
    expect(c.strikes).toBe(0);
    expect(limiter.take(c, earlier + 3)).toBe(false);
    // And it refills from there on as usual: one token per second.
    expect(limiter.take(c, earlier + 3 + 1000)).toBe(true);
  });
});
