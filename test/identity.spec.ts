import { describe, expect, it } from 'vitest';
import { RealtimeIdentity } from '../src/identity/realtime-identity';

const SECRET = 's'.repeat(40);

describe('RealtimeIdentity', () => {
  const identity = new RealtimeIdentity(SECRET);

  it('issues unique URL-safe ids carrying 128 random bits, and 256-bit keys', () => {
    const key = identity.newSocketKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
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
    const flipped =
      id.slice(0, 30) + (id[30] === 'A' ? 'B' : 'A') + id.slice(31);
    expect(identity.isIssued(flipped, key)).toBe(false);
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

  it('accepts client-made keys of the right shape only', () => {
    expect(identity.isSocketKey('a'.repeat(43))).toBe(true);
    expect(identity.isSocketKey('a'.repeat(42))).toBe(false);
    expect(identity.isSocketKey('a'.repeat(257))).toBe(false);
    expect(identity.isSocketKey('a'.repeat(42) + ';')).toBe(false);
    expect(identity.isSocketKey(42)).toBe(false);
  });
});
