import { describe, expect, it } from 'vitest';
import {
  ChannelPattern,
  checkChannel,
  flattenChannels,
  isPattern,
} from '../../src/channels';
import { RealtimeError } from '../../src/exceptions/realtime.error';
import {
  CHANNEL_TOO_LONG,
  CHANNEL_WILDCARD,
  INVALID_CHANNEL,
  NO_CHANNELS,
} from '../../src/realtime.messages';

/** The RealtimeError a call throws (fails when it does not throw one). */
function realtimeErrorOf(fn: () => unknown): RealtimeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RealtimeError);
    return error as RealtimeError;
  }
  throw new Error('expected the call to throw');
}

describe('checkChannel (SPEC §2)', () => {
  it('returns a valid name as it is, up to exactly maxLength characters', () => {
    expect(checkChannel('chat', 4)).toBe('chat');
    expect(checkChannel('c', 1)).toBe('c');
    expect(checkChannel('room;1:x', 256)).toBe('room;1:x');
  });

  it('refuses an empty name or a non-string with invalid_channel and its message', () => {
    for (const bad of ['', 7, null, undefined, ['a'], { length: 1 }]) {
      const error = realtimeErrorOf(() => checkChannel(bad, 10));
      expect(error.code).toBe('invalid_channel');
      expect(error.message).toBe(INVALID_CHANNEL);
    }
  });

  it('refuses a name one character over maxLength, saying which limit', () => {
    const error = realtimeErrorOf(() => checkChannel('abcde', 4));
    expect(error.code).toBe('invalid_channel');
    expect(error.message).toBe(CHANNEL_TOO_LONG(4));
    expect(error.message).toContain('at most 4 characters');
  });

  it('refuses `*` anywhere in a name unless it is a pattern', () => {
    for (const name of ['*', 'chat:*', '*:x', 'a*b']) {
      const error = realtimeErrorOf(() => checkChannel(name, 10));
      expect(error.code).toBe('invalid_channel');
      expect(error.message).toBe(CHANNEL_WILDCARD);
      expect(checkChannel(name, 10, true)).toBe(name);
    }
  });

  it('a pattern is still checked for emptiness and length', () => {
    expect(realtimeErrorOf(() => checkChannel('', 10, true)).message).toBe(
      INVALID_CHANNEL,
    );
    expect(realtimeErrorOf(() => checkChannel('a*bcd', 4, true)).message).toBe(
      CHANNEL_TOO_LONG(4),
    );
  });
});

describe('flattenChannels', () => {
  it('keeps multi-character names whole, from strings and arrays, in order', () => {
    expect(
      flattenChannels(['chat', ['room:1', 'room:2'], 'news', []], 16),
    ).toEqual(['chat', 'room:1', 'room:2', 'news']);
    expect(flattenChannels([['only']], 16)).toEqual(['only']);
    expect(flattenChannels(['one'], 16)).toEqual(['one']);
  });

  it('refuses `*` names unless patterns are asked for', () => {
    expect(realtimeErrorOf(() => flattenChannels(['a*'], 10)).message).toBe(
      CHANNEL_WILDCARD,
    );
    expect(realtimeErrorOf(() => flattenChannels([['a*']], 10)).message).toBe(
      CHANNEL_WILDCARD,
    );
    expect(flattenChannels(['a*', ['*:b']], 10, true)).toEqual(['a*', '*:b']);
  });

  it('checks every name, inside arrays too, against maxLength', () => {
    expect(realtimeErrorOf(() => flattenChannels(['abc'], 2)).message).toBe(
      CHANNEL_TOO_LONG(2),
    );
    expect(
      realtimeErrorOf(() => flattenChannels(['ok', ['abc']], 2)).message,
    ).toBe(CHANNEL_TOO_LONG(2));
    expect(
      realtimeErrorOf(() => flattenChannels([['ok', '']], 2)).message,
    ).toBe(INVALID_CHANNEL);
  });

  it('no channel at all is no_channels', () => {
    for (const args of [[], [[]], [[], []]]) {
      const error = realtimeErrorOf(() => flattenChannels(args, 10));
      expect(error.code).toBe('no_channels');
      expect(error.message).toBe(NO_CHANNELS);
    }
  });
});

describe('isPattern', () => {
  it('is true exactly when the name contains `*`', () => {
    expect(isPattern('chat:*')).toBe(true);
    expect(isPattern('*')).toBe(true);
    expect(isPattern('chat:1')).toBe(false);
    expect(isPattern('')).toBe(false);
  });
});

describe('ChannelPattern: cases a random search rarely builds', () => {
  it.each([
    // A later segment whose first and last pieces would overlap.
    ['x;a*a', 'x;a', false],
    ['x;a*a', 'x;aa', true],
    ['x;ab*ba', 'x;aba', false],
    ['x;ab*ba', 'x;abba', true],
    // A middle piece that overlaps the last piece.
    ['a*b*b', 'ab', false],
    ['a*b*b', 'abb', true],
    ['x;a*b*b', 'x;ab', false],
    ['a*bc*c', 'abc', false],
    ['a*bc*c', 'abcc', true],
    // The same middle piece twice needs two occurrences.
    ['a*bc*bc*d', 'abcd', false],
    ['a*bc*bc*d', 'abcbcd', true],
    ['a*b*b*c', 'abc', false],
    ['*a*a*', 'a', false],
    ['*a*a*', 'aa', true],
    // A middle piece that ends exactly where the last one starts.
    ['a*b*c', 'abc', true],
    ['*b*', 'b', true],
    ['*b*', 'a', false],
    // Segment counts must agree.
    ['a;*', 'a', false],
    ['*;*', 'a', false],
    ['*', 'a;', false],
    ['a;b;*', 'a;b;c', true],
    ['a;b;*', 'a;b', false],
    ['a;*;c', 'a;x;c', true],
    ['a;*;c', 'a;x;d', false],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(new ChannelPattern(pattern).matches(name)).toBe(expected);
  });

  it('keeps its source', () => {
    expect(new ChannelPattern('chat:*').source).toBe('chat:*');
  });
});
