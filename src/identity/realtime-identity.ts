import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const NONCE_BYTES = 16; // 128 bits of randomness per connection id
const MAC_BYTES = 16;
const NONCE_CHARS = 22; // base64url length of 16 bytes
const ID_PATTERN = /^[A-Za-z0-9_-]{44}$/;
const KEY_PATTERN = /^[A-Za-z0-9_-]{43,256}$/;
const DIGEST_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Issues and checks identities (SPEC §5) with the server secret.
 *
 * - socket key: 32 random bytes, base64url (43 chars).
 * - connection id: 16-byte nonce + the first 16 bytes of HMAC(secret, nonce, key), base64url:
 *   any instance holding the secret can tell whether it issued an id for a key, with no
 *   registry round trip.
 * - digest: HMAC(secret, key, id), base64url; it contains neither input.
 */
export class RealtimeIdentity {
  private readonly secret: Buffer;

  constructor(secret: string) {
    this.secret = Buffer.from(secret, 'utf8');
  }

  newSocketKey(): string {
    return randomBytes(32).toString('base64url');
  }

  /** Whether a string has the shape of a socket key (clients may bring their own). */
  isSocketKey(value: unknown): value is string {
    return typeof value === 'string' && KEY_PATTERN.test(value);
  }

  isDigest(value: unknown): value is string {
    return typeof value === 'string' && DIGEST_PATTERN.test(value);
  }

  /** A fresh connection id bound to `key`. */
  issueConnectionId(key: string): string {
    const nonce = randomBytes(NONCE_BYTES).toString('base64url');
    return nonce + this.mac(nonce, key).toString('base64url');
  }

  /** Whether `id` was issued by a server with this secret for `key` (constant-time). */
  isIssued(id: unknown, key: unknown): boolean {
    if (
      typeof id !== 'string' ||
      !ID_PATTERN.test(id) ||
      !this.isSocketKey(key)
    )
      return false;
    const presented = Buffer.from(id.slice(NONCE_CHARS), 'base64url');
    const expected = this.mac(id.slice(0, NONCE_CHARS), key);
    return (
      presented.length === expected.length &&
      timingSafeEqual(presented, expected)
    );
  }

  /** The identity of one client view: all its subscriptions are stored under it. */
  digest(key: string, id: string): string {
    return createHmac('sha256', this.secret)
      .update('digest\0')
      .update(key)
      .update('\0')
      .update(id)
      .digest('base64url');
  }

  private mac(nonce: string, key: string): Buffer {
    return createHmac('sha256', this.secret)
      .update('id\0')
      .update(nonce)
      .update('\0')
      .update(key)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
