/** The `rateLimit` option (README "Security and limits"), resolved. */
export interface RateLimit {
  messages: number;
  interval: number;
  closeAfter: number;
}

/** A connection's bucket: tokens left, when last refilled, refusals in a row. */
export interface Bucket {
  tokens: number;
  refilledAt: number;
  strikes: number;
}

/**
 * A token bucket per connection (README "Security and limits" `rateLimit`): `messages` requests per
 * `interval`, refilled continuously. Refusals in a row are counted as strikes; a full
 * bucket (the client calmed down for a whole interval) forgives them.
 */
export class RateLimiter {
  private readonly capacity: number;
  private readonly perMs: number;
  readonly closeAfter: number;

  constructor(options: RateLimit) {
    this.capacity = options.messages;
    this.perMs = options.messages / options.interval;
    this.closeAfter = options.closeAfter;
  }

  /** Takes one token; false when the connection is over its budget. */
  take(connection: Bucket, now: number): boolean {
    // A wall clock set back (NTP, a resumed VM) refills nothing but takes nothing either.
    const elapsed = Math.max(0, now - connection.refilledAt);
    const tokens = Math.min(
      this.capacity,
      connection.tokens + elapsed * this.perMs,
    );
    connection.refilledAt = now;
    if (tokens >= this.capacity) connection.strikes = 0;
    if (tokens < 1) {
      connection.tokens = tokens;
      connection.strikes++;
      return false;
    }
    connection.tokens = tokens - 1;
    return true;
  }
}
