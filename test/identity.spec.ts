import { describe, expect, it } from 'vitest';
import { RealtimeIdentity } from '../src/identity/realtime-identity';

const SECRET = 's'.repeat(40);

describe('RealtimeIdentity', () => {
  const identity = new RealtimeIdentity(SECRET);

  it('issues unique URL-safe ids carrying 128 random bits, and keys carrying 256', () => {
    const key = identity.newSocketKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{64}$/);
    // 32 random bytes + a 16-byte MAC.
    expect(Buffer.from(key, 'base64url')).toHaveLength(48);
    const keys = new Set<string>();
    const randoms = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const k = identity.newSocketKey();
      keys.add(k);
      randoms.add(k.slice(0, 42));
    }
    expect(keys.size).toBe(1000);
    expect(randoms.size).toBe(1000);
    const ids = new Set<string>();
    const nonces = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = identity.issueConnectionId(key);
      expect(id).toMatch(/^[A-Za-z0-9_-]{44}$/);
      ids.add(id);
      nonces.add(id.slice(0, 22));
    }
    expect(ids.size).toBe(10_000);
    expect(nonces.size).toBe(10_000);
    expect(
      Buffer.from(identity.issueConnectionId(key).slice(0, 22), 'base64url'),
    ).toHaveLength(16);
  });

  it('recognises ids it issued for a key, and only for that key and secret', () => {
    const key = identity.newSocketKey();
    const other = identity.newSocketKey();
    const id = identity.issueConnectionId(key);
    expect(identity.isIssued(id, key)).toBe(true);
    expect(identity.isIssued(id, other)).toBe(false);
    expect(new RealtimeIdentity('t'.repeat(40)).isIssued(id, key)).toBe(false);
    // Any single changed character is refused.
    for (let at = 0; at < id.length; at++) {
      const flipped =
        id.slice(0, at) + (id[at] === 'A' ? 'B' : 'A') + id.slice(at + 1);
      expect(identity.isIssued(flipped, key)).toBe(false);
    }
    expect(identity.isIssued(undefined, key)).toBe(false);
    expect(identity.isIssued(id, undefined)).toBe(false);
    expect(identity.isIssued(id + 'x', key)).toBe(false);
    expect(identity.isIssued('', key)).toBe(false);
  });

  it('digests are reproducible, change with either input and contain neither', () => {
    const key = identity.newSocketKey();
    const id = identity.issueConnectionId(key);
    const digest = identity.digest(key, id);
    expect(digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(identity.digest(key, id)).toBe(digest);
    expect(new RealtimeIdentity(SECRET).digest(key, id)).toBe(digest); // another instance, same secret
    expect(identity.digest(identity.newSocketKey(), id)).not.toBe(digest);
    expect(identity.digest(key, identity.issueConnectionId(key))).not.toBe(
      digest,
    );
    expect(digest).not.toContain(key.slice(0, 8));
    expect(digest).not.toContain(id.slice(0, 8));
    // No separator ambiguity: moving a character between key and id changes the digest.
    expect(identity.digest(key + id[0], id.slice(1))).not.toBe(digest);
  });

  it('accepts only keys it issued (SPEC §5): client-made keys of any shape are refused', () => {
    const key = identity.newSocketKey();
    expect(identity.isSocketKey(key)).toBe(true);
    expect(new RealtimeIdentity('t'.repeat(40)).isSocketKey(key)).toBe(false);
    for (const made of [
      'a'.repeat(43),
      'a'.repeat(64),
      Buffer.alloc(48, 7).toString('base64url'),
      key.slice(0, 63),
      key + 'A',
      key.slice(0, 63) + ';',
      42,
      undefined,
    ])
      expect(identity.isSocketKey(made)).toBe(false);
  });

  it('a key with any one byte changed is refused', () => {
    const key = identity.newSocketKey();
    const bytes = Buffer.from(key, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] ^= 0x01;
      expect(identity.isSocketKey(changed.toString('base64url'))).toBe(false);
    }
  });

  it('an id with any one byte changed, any bit of its last character changed, or another spelling, is refused', () => {
    const key = identity.newSocketKey();
    const id = identity.issueConnectionId(key);
    const halves = [id.slice(0, 22), id.slice(22)];
    for (const [h, half] of halves.entries()) {
      const bytes = Buffer.from(half, 'base64url');
      for (let i = 0; i < bytes.length; i++) {
        for (const bit of [0x01, 0x80]) {
          const changed = Buffer.from(bytes);
          changed[i] ^= bit;
          const text = changed.toString('base64url');
          const forged = h === 0 ? text + halves[1] : halves[0] + text;
          expect(identity.isIssued(forged, key)).toBe(false);
        }
      }
    }
    const ALPHABET =
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const at of [21, 43]) {
      const value = ALPHABET.indexOf(id[at]);
      for (let bit = 0; bit < 6; bit++) {
        const spelled =
          id.slice(0, at) + ALPHABET[value ^ (1 << bit)] + id.slice(at + 1);
        // The 4 low bits of a half's last character carry no data: flipping one is
        // another spelling of the same bytes, refused all the same.
        expect(identity.isIssued(spelled, key)).toBe(false);
      }
    }
  });
});
