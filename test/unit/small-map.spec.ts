import { describe, expect, it } from 'vitest';
import { SmallMap } from '../../src/collections/small-map';

describe('SmallMap', () => {
  it('holds one entry, then many, then one again, as a Map would', () => {
    const map = new SmallMap<string, number | null>();
    expect(map.size).toBe(0);
    expect([...map.keys()]).toEqual([]);
    expect(map.get('a')).toBeUndefined();
    expect(map.has('a')).toBe(false);
    expect(map.delete('a')).toBe(false);
    map.set('a', 1).set('a', null);
    expect(map.size).toBe(1);
    expect(map.has('a')).toBe(true);
    expect(map.get('a')).toBeNull();
    expect(map.get('b')).toBeUndefined();
    expect(map.delete('b')).toBe(false);
    map.set('b', 2).set('c', 3).set('b', 4);
    expect(map.size).toBe(3);
    expect([...map.keys()]).toEqual(['a', 'b', 'c']);
    expect(map.get('b')).toBe(4);
    expect(map.delete('a')).toBe(true);
    expect(map.delete('c')).toBe(true);
    expect(map.size).toBe(1);
    expect([...map.keys()]).toEqual(['b']);
    expect(map.get('b')).toBe(4);
    expect(map.get('c')).toBeUndefined();
    expect(map.delete('b')).toBe(true);
    expect(map.size).toBe(0);
    expect(map.has('b')).toBe(false);
    expect([...map.keys()]).toEqual([]);
  });

  it('agrees with a Map over random sets and deletes (order included)', () => {
    let seed = 11;
    const random = () =>
      (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const small = new SmallMap<number, number>();
    const model = new Map<number, number>();
    for (let step = 0; step < 5000; step++) {
      const key = Math.floor(random() * 4);
      if (random() < 0.5) {
        small.set(key, step);
        model.set(key, step);
      } else expect(small.delete(key)).toBe(model.delete(key));
      expect(small.size).toBe(model.size);
      expect(small.has(key)).toBe(model.has(key));
      expect(small.get(key)).toBe(model.get(key));
      expect([...small.keys()]).toEqual([...model.keys()]);
    }
  });
});
