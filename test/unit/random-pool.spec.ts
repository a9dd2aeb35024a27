import { describe, expect, it } from 'vitest';
import { randomBytesPooled } from '../../src/identity/random-pool';

describe('randomBytesPooled', () => {
  it('gives n bytes each time, never the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    // 1,000 × 32 bytes: about eight 4 KiB pools.
    for (let i = 0; i < 1000; i++) {
      const bytes = randomBytesPooled(i % 2 ? 32 : 16);
      expect(bytes.length).toBe(i % 2 ? 32 : 16);
      const hex = bytes.toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
  });

  it('hands out copies: changing one does not change the next', () => {
    const a = randomBytesPooled(16);
    const before = Buffer.from(a);
    a.fill(0);
    const b = randomBytesPooled(16);
    expect(b.equals(Buffer.alloc(16))).toBe(false);
    expect(b.equals(before)).toBe(false);
  });

  it('larger than the pool: fresh bytes of that length', () => {
    const big = randomBytesPooled(5000);
    expect(big.length).toBe(5000);
    expect(big.equals(Buffer.alloc(5000))).toBe(false);
  });
});
