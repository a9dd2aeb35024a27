import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelPattern, checkChannel, flattenChannels } from '../src/channels';

/** The Pakyow definition, as a regular expression: fine for short inputs, exponential for long ones. */
function reference(pattern: string, name: string): boolean {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^;]*');
  return new RegExp(`^${body}$`).test(name);
}

describe('ChannelPattern (SPEC §2: `*` matches any run except `;`)', () => {
  it('agrees with the regular-expression definition on random names and patterns', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'b', ';', ':'),
      maxLength: 12,
    });
    const pattern = fc.string({
      unit: fc.constantFrom('a', 'b', ';', ':', '*'),
      maxLength: 10,
    });
    fc.assert(
      fc.property(pattern, text, (p, n) => {
        expect(new ChannelPattern(p).matches(n)).toBe(reference(p, n));
      }),
      { seed: 20261201, numRuns: 5000 },
    );
  });

  it.each([
    ['chat:*', 'chat:1', true],
    ['chat:*', 'chat:', true],
    ['chat:*', 'chat:1;x', false],
    ['chat:*;x', 'chat:1;x', true],
    ['*', '', true],
    ['*', 'a;b', false],
    ['*;*', 'a;b', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['a**b', 'ab', true],
    ['room:*:typing', 'room:1:typing', true],
    ['room:*:typing', 'room:1:chat', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
  ])('%s against %s: %s', (p, n, expected) => {
    expect(new ChannelPattern(p).matches(n)).toBe(expected);
  });

  it('takes linear time on patterns that make a backtracking matcher explode', () => {
    const name = 'room:' + 'a'.repeat(250);
    const pattern = new ChannelPattern('room:' + 'a*'.repeat(125) + 'b');
    const started = performance.now();
    for (let i = 0; i < 1000; i++) expect(pattern.matches(name)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('channel names (SPEC §2)', () => {
  it('refuses empty, non-string, too long and `*` names with invalid_channel', () => {
    for (const bad of ['', 5, null, undefined, {}, 'x'.repeat(11), 'a*']) {
      expect(() => checkChannel(bad, 10)).toThrow(
        expect.objectContaining({ code: 'invalid_channel' }),
      );
    }
    expect(checkChannel('x'.repeat(10), 10)).toBe('x'.repeat(10));
    expect(checkChannel('a*', 10, true)).toBe('a*');
  });

  it('flattens strings and arrays; nothing at all is no_channels', () => {
    expect(flattenChannels(['a', ['b', 'c'], 'd'], 10)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
    expect(() => flattenChannels([], 10)).toThrow(
      expect.objectContaining({ code: 'no_channels' }),
    );
    expect(() => flattenChannels([[]], 10)).toThrow(
      expect.objectContaining({ code: 'no_channels' }),
    );
  });
});
