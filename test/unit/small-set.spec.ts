import { describe, expect, it } from 'vitest';
import { SmallSet } from '../../src/collections/small-set';

describe('SmallSet', () => {
  it('holds one member, then many, then one again, as a Set would', () => {
    const set = new SmallSet<string>();
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
    expect(set.has('a')).toBe(false);
    expect(set.delete('a')).toBe(false);
    set.add('a').add('a');
    expect(set.size).toBe(1);
    expect(set.has('a')).toBe(true);
    expect(set.has('b')).toBe(false);
    expect(set.delete('b')).toBe(false);
    expect([...set]).toEqual(['a']);
    set.add('b').add('c');
    expect(set.size).toBe(3);
    expect([...set]).toEqual(['a', 'b', 'c']);
    expect(set.delete('a')).toBe(true);
    expect(set.delete('a')).toBe(false);
    expect([...set]).toEqual(['b', 'c']);
    expect(set.delete('c')).toBe(true);
    expect(set.size).toBe(1);
    expect([...set]).toEqual(['b']);
    expect(set.has('b')).toBe(true);
    expect(set.has('c')).toBe(false);
    expect(set.delete('b')).toBe(true);
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
  });

  it('agrees with a Set over random adds and deletes (order included)', () => {
    let seed = 7;
    const random = () =>
      (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const small = new SmallSet<number>();
    const model = new Set<number>();
    for (let step = 0; step < 5000; step++) {
      const value = Math.floor(random() * 4);
      if (random() < 0.5) {
        small.add(value);
        model.add(value);
      } else expect(small.delete(value)).toBe(model.delete(value));
      expect(small.size).toBe(model.size);
      expect(small.has(value)).toBe(model.has(value));
      if (model.size <= 1 || step % 50 === 0)
        expect([...small]).toEqual([...model]);
    }
  });
});
