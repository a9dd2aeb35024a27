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

describe('since: edges', () => {
  const b64 = (value: string | Buffer) =>
    Buffer.from(value).toString('base64url');
  const problem = (text: string, max = 1000) => {
    const decoded = decodeSince(text, max);
    return decoded.ok ? 'accepted' : decoded.problem;
  };

  it("is exactly Node's base64url (padding dropped, + and / replaced) for every length", () => {
    // Names whose JSON yields +, / and one or two padding characters in plain base64.
    for (const name of [
      'a',
      'ab',
      'abc',
      '>>>',
      '???',
      '~~~~',
      'ÿÿ',
      'chat:ñ',
    ]) {
      for (const offset of [0, 7, 1234]) {
        const positions = { [name]: ['e1', offset] as const };
        const text = encodeSince(positions);
        expect(text).toBe(b64(JSON.stringify(positions)));
        expect(decodeSince(text, 1000)).toEqual({ ok: true, positions });
      }
    }
    // Decoding takes - and _ (base64url's + and /).
    const tricky = b64(JSON.stringify({ '>>>?': ['e~', 1] }));
    expect(tricky).toMatch(/[-_]/);
    expect(decodeSince(tricky, 1000)).toMatchObject({ ok: true });
  });

  it('the length bound is inclusive', () => {
    const text = encodeSince({ c: ['e', 1] });
    expect(problem(text, text.length)).toBe('accepted');
    expect(problem(text, text.length - 1)).toBe(
      `longer than ${text.length - 1} characters`,
    );
  });

  it('bytes that are not UTF-8 are refused, not replaced', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"'),
      Buffer.from([0xff]),
      Buffer.from('":["e",1]}'),
    ]);
    expect(problem(b64(bytes))).toBe('not base64url JSON');
  });

  it('JSON that is not an object, and positions that only look like pairs, are refused', () => {
    expect(problem(b64('1'))).toBe('not an object of channels');
    expect(problem(b64('"text"'))).toBe('not an object of channels');
    expect(problem(b64('{"c":{"0":"e","1":1,"length":2}}'))).toContain(
      'the position of "c"',
    );
    expect(problem(b64('{"c":["e",1,2]}'))).toContain('the position of "c"');
  });

  it('an epoch of 64 characters is accepted, 65 is not', () => {
    expect(problem(b64(`{"c":["${'e'.repeat(64)}",1]}`))).toBe('accepted');
    expect(problem(b64(`{"c":["${'e'.repeat(65)}",1]}`))).toContain('must be');
  });

  it('names at most 100 characters of a channel in its message', () => {
    const name = 'x'.repeat(200);
    const said = problem(b64(JSON.stringify({ [name]: 'bad' })));
    expect(said).toContain(`"${'x'.repeat(100)}"`);
    expect(said).not.toContain('x'.repeat(101));
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
