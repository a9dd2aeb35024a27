import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RealtimeIdentity } from '../../src/identity/realtime-identity';

// SPEC §2/§5: keys are issued by the server (MAC with `secret`), ids carry a MAC over
// nonce and key, digests are HMAC-SHA256 over key and id. Instances that share a secret
// (a rolling deploy on Redis) must agree on every value, so the constructions are pinned
// here against node:crypto directly.

const SECRET = 'unit-secret-'.padEnd(40, 'x');
const identity = new RealtimeIdentity(SECRET);

function hmac(...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', Buffer.from(SECRET, 'utf8'));
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Issues keys until one contains `char` (every character of the alphabet turns up). */
function keyContaining(char: string): string {
  for (let i = 0; i < 2000; i++) {
    const key = identity.newSocketKey();
    if (key.includes(char)) return key;
  }
  throw new Error(`no key with ${char}`);
}

/** Issues ids for `key` until one contains `char`. */
function idContaining(key: string, char: string): string {
  for (let i = 0; i < 2000; i++) {
    const id = identity.issueConnectionId(key);
    if (id.includes(char)) return id;
  }
  throw new Error(`no id with ${char}`);
}

describe('socket keys', () => {
  it('are 32 random bytes followed by the first 16 bytes of HMAC(secret, "key\\0" + random)', () => {
    const key = identity.newSocketKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const bytes = Buffer.from(key, 'base64url');
    expect(bytes.toString('base64url')).toBe(key);
    expect(bytes).toHaveLength(48);
    const random = bytes.subarray(0, 32);
    expect(bytes.subarray(32)).toEqual(hmac('key\0', random).subarray(0, 16));
  });

  it('a key built the documented way with the same secret is accepted (another instance)', () => {
    const random = Buffer.alloc(32, 0xab);
    const key = Buffer.concat([
      random,
      hmac('key\0', random).subarray(0, 16),
    ]).toString('base64url');
    expect(identity.isSocketKey(key)).toBe(true);
    expect(new RealtimeIdentity(SECRET).isSocketKey(key)).toBe(true);
    expect(new RealtimeIdentity(SECRET + 'y').isSocketKey(key)).toBe(false);
  });

  it('accepts issued keys whatever characters of the alphabet they contain', () => {
    for (const char of ['-', '_', '0', '9', 'A', 'Z', 'a', 'z']) {
      const key = keyContaining(char);
      expect(identity.isSocketKey(key)).toBe(true);
    }
  });

  it('refuses an issued key with anything before or after it', () => {
    const key = identity.newSocketKey();
    for (const wrapped of [
      ';' + key,
      ' ' + key,
      key + ';',
      key + ' ',
      key + '\n',
      'A' + key,
      key + 'A',
    ])
      expect(identity.isSocketKey(wrapped)).toBe(false);
  });

  it('refuses keys of the wrong length, alphabet or type, and a String object', () => {
    const key = identity.newSocketKey();
    expect(identity.isSocketKey(key.slice(1))).toBe(false);
    expect(identity.isSocketKey('')).toBe(false);
    expect(identity.isSocketKey(key.slice(0, 63) + '+')).toBe(false);
    expect(identity.isSocketKey(key.slice(0, 63) + '=')).toBe(false);
    expect(identity.isSocketKey(Buffer.from(key, 'base64url'))).toBe(false);
    expect(identity.isSocketKey(null)).toBe(false);
    expect(identity.isSocketKey([key])).toBe(false);
    // Looks like the key to a regular expression and to Buffer.from, but is no string.
    expect(identity.isSocketKey(new String(key))).toBe(false);
    expect(identity.isSocketKey({ [Symbol.toPrimitive]: () => key })).toBe(
      false,
    );
  });

  it('refuses a key whose random part was issued but whose MAC half is another key’s', () => {
    const a = identity.newSocketKey();
    const b = identity.newSocketKey();
    const mixed = Buffer.concat([
      Buffer.from(a, 'base64url').subarray(0, 32),
      Buffer.from(b, 'base64url').subarray(32),
    ]).toString('base64url');
    expect(identity.isSocketKey(mixed)).toBe(false);
  });
});

describe('connection ids', () => {
  it('are a 22-char nonce followed by the 22-char text of HMAC(secret, "id\\0" nonce "\\0" key)[0..16]', () => {
    const key = identity.newSocketKey();
    const id = identity.issueConnectionId(key);
    expect(id).toMatch(/^[A-Za-z0-9_-]{44}$/);
    const nonce = id.slice(0, 22);
    expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
    expect(id.slice(22)).toBe(
      hmac('id\0', nonce, '\0', key).subarray(0, 16).toString('base64url'),
    );
  });

  it('an id built the documented way by another instance with the secret is accepted', () => {
    const key = identity.newSocketKey();
    const nonce = Buffer.alloc(16, 0x5c).toString('base64url');
    const id =
      nonce +
      hmac('id\0', nonce, '\0', key).subarray(0, 16).toString('base64url');
    expect(identity.isIssued(id, key)).toBe(true);
  });

  it('accepts issued ids whatever characters of the alphabet they contain', () => {
    const key = identity.newSocketKey();
    for (const char of ['-', '_', '0', '9', 'A', 'Z', 'a', 'z']) {
      const id = idContaining(key, char);
      expect(identity.isIssued(id, key)).toBe(true);
    }
  });

  it('refuses an issued id with anything before or after it', () => {
    const key = identity.newSocketKey();
    const id = identity.issueConnectionId(key);
    for (const wrapped of [';' + id, ' ' + id, id + ';', id + '\n', 'A' + id])
      expect(identity.isIssued(wrapped, key)).toBe(false);
  });

  it('refuses an id issued for a string that is not an issued key (SPEC §5: no key)', () => {
    const invented = 'k'.repeat(64);
    const id = identity.issueConnectionId(invented);
    expect(identity.isSocketKey(invented)).toBe(false);
    expect(identity.isIssued(id, invented)).toBe(false);
  });

  it('isIssuedFor (a key checked already) agrees with isIssued for issued keys', () => {
    const key = identity.newSocketKey();
    const other = identity.newSocketKey();
    const id = identity.issueConnectionId(key);
    expect(identity.isIssuedFor(id, key)).toBe(true);
    expect(identity.isIssuedFor(id, other)).toBe(false);
    expect(identity.isIssuedFor(identity.issueConnectionId(other), key)).toBe(
      false,
    );
    expect(identity.isIssuedFor(undefined, key)).toBe(false);
    expect(identity.isIssuedFor(id.slice(1), key)).toBe(false);
  });

  it('refuses a String object holding an issued id', () => {
    const key = identity.newSocketKey();
    const id = identity.issueConnectionId(key);
    expect(identity.isIssued(id, key)).toBe(true);
    expect(identity.isIssued(new String(id), key)).toBe(false);
    expect(identity.isIssued(id, new String(key))).toBe(false);
    expect(identity.isIssued(null, key)).toBe(false);
    expect(identity.isIssued(42, key)).toBe(false);
  });

  it('the MAC half of one id does not validate another nonce', () => {
    const key = identity.newSocketKey();
    const a = identity.issueConnectionId(key);
    const b = identity.issueConnectionId(key);
    expect(identity.isIssued(a.slice(0, 22) + b.slice(22), key)).toBe(false);
    expect(identity.isIssued(a.slice(22) + a.slice(0, 22), key)).toBe(false);
  });
});

describe('digests', () => {
  it('are HMAC-SHA256(secret, "digest\\0" key "\\0" id) in base64url', () => {
    const key = identity.newSocketKey();
    const id = identity.issueConnectionId(key);
    expect(identity.digest(key, id)).toBe(
      hmac('digest\0', key, '\0', id).toString('base64url'),
    );
  });

  it('isDigest takes exactly 43 base64url characters, as a string', () => {
    const key = identity.newSocketKey();
    const digest = identity.digest(key, identity.issueConnectionId(key));
    expect(identity.isDigest(digest)).toBe(true);
    expect(identity.isDigest('A'.repeat(20) + '-_' + 'z09'.repeat(7))).toBe(
      true,
    );
    for (const char of ['-', '_', '0', '9', 'A', 'Z', 'a', 'z'])
      expect(identity.isDigest(char.repeat(43))).toBe(true);
    for (const bad of [
      digest.slice(1),
      digest + 'A',
      ';' + digest,
      digest + ';',
      digest + '\n',
      digest.slice(0, 42) + '+',
      digest.slice(0, 42) + '=',
      '',
    ])
      expect(identity.isDigest(bad)).toBe(false);
    expect(identity.isDigest(new String(digest))).toBe(false);
    expect(identity.isDigest(undefined)).toBe(false);
    expect(identity.isDigest(43)).toBe(false);
  });
});
