import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomBytesPooled } from './random-pool';

const NONCE_BYTES = 16; // 128 bits of randomness per connection id
const MAC_BYTES = 16;
const NONCE_CHARS = 22; // base64url length of 16 bytes
const KEY_RANDOM_BYTES = 32; // 256 bits of randomness per socket key
const ID_PATTERN = /^[A-Za-z0-9_-]{44}$/;
const KEY_PATTERN = /^[A-Za-z0-9_-]{64}$/; // 48 bytes: every bit of every character used
const DIGEST_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Constant-time comparison of two strings of the same length. */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Issues and checks identities (README "Security and limits") with the server secret.
 *
 * - socket key: 32 random bytes + the first 16 bytes of HMAC(secret, random), base64url
 *   (64 characters): issued by the server, so a client cannot invent keys.
 * - connection id: 16-byte nonce + the first 16 bytes of HMAC(secret, nonce, key),
 *   base64url (22 + 22 characters): any instance holding the secret can tell whether it
 *   issued an id for a key, with no registry round trip.
 * - digest: HMAC(secret, key, id), base64url; it contains neither input.
 *
 * Every check compares the canonical encoding, so one issued value has exactly one
 * accepted spelling (base64url's unused low bits cannot make a second one).
 */
export class RealtimeIdentity {
  private readonly secret: Buffer;

  constructor(secret: string) {
    this.secret = Buffer.from(secret, 'utf8');
  }

  newSocketKey(): string {
    const random = randomBytesPooled(KEY_RANDOM_BYTES);
    return Buffer.concat([random, this.keyMac(random)]).toString('base64url');
  }

  /** Whether a string is a socket key this server (or one with its secret) issued. */
  isSocketKey(value: unknown): value is string {
    if (typeof value !== 'string' || !KEY_PATTERN.test(value)) return false;
    const bytes = Buffer.from(value, 'base64url');
    const presented = bytes.subarray(KEY_RANDOM_BYTES);
    const expected = this.keyMac(bytes.subarray(0, KEY_RANDOM_BYTES));
    return (
      presented.length === expected.length &&
      timingSafeEqual(presented, expected)
    );
  }

  isDigest(value: unknown): value is string {
    return typeof value === 'string' && DIGEST_PATTERN.test(value);
  }

  /** A fresh connection id bound to `key`. */
  issueConnectionId(key: string): string {
    const nonce = randomBytesPooled(NONCE_BYTES).toString('base64url');
    return nonce + this.idMac(nonce, key);
  }

  /** Whether `id` was issued by a server with this secret for `key` (constant-time). */
  isIssued(id: unknown, key: unknown): boolean {
    return this.isSocketKey(key) && this.isIssuedFor(id, key);
  }

  /**
   * `isIssued` for a key the caller checked with `isSocketKey` already (a handshake's or a
   * request's presented identity): one HMAC fewer per connection.
   */
  isIssuedFor(id: unknown, checkedKey: string): boolean {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return false;
    // The MAC covers the nonce as text and is compared as text: one spelling only.
    const nonce = id.slice(0, NONCE_CHARS);
    return sameText(id.slice(NONCE_CHARS), this.idMac(nonce, checkedKey));
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

  private idMac(nonce: string, key: string): string {
    return createHmac('sha256', this.secret)
      .update('id\0')
      .update(nonce)
      .update('\0')
      .update(key)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }

  private keyMac(random: Buffer): Buffer {
    return createHmac('sha256', this.secret)
      .update('key\0')
      .update(random)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
