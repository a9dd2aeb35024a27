import { describe, expect, it } from 'vitest';
import {
  decodeSince,
  encodeSince,
  offsetPushFrame,
  resumeFrame,
} from '../../src/protocol';

describe('since (the positions a client presents on reconnect)', () => {
  it('round-trips, also for channel names outside ASCII, as URL-safe text', () => {
    const positions = { chat: ['e1', 12], 'salle:café': ['e2', 0] } as const;
    const text = encodeSince(positions);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSince(text, 10_000)).toEqual({ ok: true, positions });
  });

  it('is base64url of the JSON object the README shows', () => {
    const text = encodeSince({ chat: ['abc', 3] });
    expect(Buffer.from(text, 'base64url').toString('utf8')).toBe(
      '{"chat":["abc",3]}',
    );
  });

  it('refuses what is not a set of positions, saying why', () => {
    const b64 = (value: string) => Buffer.from(value).toString('base64url');
    const problem = (text: string) => {
      const decoded = decodeSince(text, 1000);
      return decoded.ok ? 'accepted' : decoded.problem;
    };
    expect(problem('a'.repeat(1001))).toBe('longer than 1000 characters');
    expect(problem('ab+/')).toBe('not base64url');
    expect(problem(b64('{not json'))).toBe('not base64url JSON');
    expect(problem(b64('[1,2]'))).toBe('not an object of channels');
    expect(problem(b64('null'))).toBe('not an object of channels');
    for (const bad of [
      '{"c":["e"]}',
      '{"c":["",1]}',
      '{"c":["e",-1]}',
      '{"c":["e",1.5]}',
      '{"c":[1,1]}',
      '{"c":"e:1"}',
      `{"c":["${'e'.repeat(65)}",1]}`,
    ])
      expect(problem(b64(bad))).toContain('the position of "c" must be');
    expect(problem(b64('{}'))).toBe('accepted');
    expect(problem('')).toBe('not base64url JSON');
  });
});

describe('resume and offset frames', () => {
  it('resume: keys in order; recovered only when nothing failed', () => {
    expect(resumeFrame(3, { chat: 'e1' }, {})).toBe(
      '{"resume":{"recovered":true,"replayed":3,"epoch":{"chat":"e1"},"failed":{}}}',
    );
    expect(
      JSON.parse(resumeFrame(0, { a: 'e1', b: 'e2' }, { b: 'limit' })),
    ).toEqual({
      resume: {
        recovered: false,
        replayed: 0,
        epoch: { a: 'e1', b: 'e2' },
        failed: { b: 'limit' },
      },
    });
  });

  it('a push with its offset, the payload as serialized once', () => {
    expect(offsetPushFrame('chat', '{"text":"hi"}', 12)).toBe(
      '{"channel":"chat","payload":{"text":"hi"},"offset":12}',
    );
    expect(JSON.parse(offsetPushFrame('a"b', 'null', 1))).toEqual({
      channel: 'a"b',
      payload: null,
      offset: 1,
    });
  });
});
