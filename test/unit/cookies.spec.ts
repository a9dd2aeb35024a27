import { describe, expect, it } from 'vitest';
import { readCookie, serializeKeyCookie } from '../../src/identity/cookies';
import { DEFAULTS, type ResolvedRealtimeOptions } from '../../src/options';

// SPEC §2/§5: the key lives in an HttpOnly cookie (SameSite, Secure on HTTPS, Path).
// Upgrade requests never pass through cookie-parser, so the raw header is read here.

type CookieOptions = ResolvedRealtimeOptions['cookie'];

describe('readCookie', () => {
  it('finds a cookie by exact name, first, middle or last', () => {
    const header = 'a=1; realtime_key=KEY; b=2';
    expect(readCookie(header, 'a')).toBe('1');
    expect(readCookie(header, 'realtime_key')).toBe('KEY');
    expect(readCookie(header, 'b')).toBe('2');
    expect(readCookie(header, 'c')).toBeUndefined();
    expect(readCookie(header, 'realtime')).toBeUndefined();
    expect(readCookie(header, 'key')).toBeUndefined();
  });

  it('no header, or an empty one, has no cookie', () => {
    expect(readCookie(undefined, 'a')).toBeUndefined();
    expect(readCookie('', 'a')).toBeUndefined();
    expect(readCookie([], 'a')).toBeUndefined();
  });

  it('the first of two cookies with one name wins', () => {
    expect(readCookie('k=first; k=second', 'k')).toBe('first');
  });

  it('trims spaces around names and values', () => {
    expect(readCookie('  a = 1 ;b=2', 'a')).toBe('1');
    expect(readCookie('a=1;   b =  2  ', 'b')).toBe('2');
    expect(readCookie('a=1;b=2', 'b')).toBe('2');
  });

  it('a value may contain `=`; an empty value is an empty string', () => {
    expect(readCookie('k=a=b==; x=1', 'k')).toBe('a=b==');
    expect(readCookie('k=; x=1', 'k')).toBe('');
    expect(readCookie('x=1; k=', 'k')).toBe('');
  });

  it('a segment without `=` never matches, nor swallows the next cookie', () => {
    expect(readCookie('flag; k=1', 'flag')).toBeUndefined();
    expect(readCookie('k=1; flag', 'fla')).toBeUndefined();
    expect(readCookie('k=1; flag', 'flag')).toBeUndefined();
    expect(readCookie('a; b=1', 'a; b')).toBeUndefined();
    expect(readCookie('a; b=1', 'b')).toBe('1');
  });

  it('unquotes a value in double quotes, and only such a value', () => {
    expect(readCookie('k="abc"', 'k')).toBe('abc');
    expect(readCookie('k=""', 'k')).toBe('');
    expect(readCookie('k="', 'k')).toBe('"');
    expect(readCookie('k="abc', 'k')).toBe('"abc');
    expect(readCookie('k=abc"', 'k')).toBe('abc"');
    expect(readCookie('k=a"b"c', 'k')).toBe('a"b"c');
  });

  it('several Cookie headers are read as one', () => {
    expect(readCookie(['a=1', 'k=2'], 'k')).toBe('2');
    expect(readCookie(['a=1; b=2', 'k=3'], 'a')).toBe('1');
    expect(readCookie(['a=1', 'k=3'], 'a')).toBe('1');
  });
});

describe('serializeKeyCookie', () => {
  const base: CookieOptions = { ...DEFAULTS.cookie };

  it('is HttpOnly with the path and SameSite in the cookie syntax', () => {
    expect(serializeKeyCookie('KEY', { ...base, maxAge: 0 }, false)).toBe(
      'realtime_key=KEY; Path=/; HttpOnly; SameSite=Lax',
    );
    expect(
      serializeKeyCookie(
        'K2',
        { ...base, name: 'rk', path: '/app', sameSite: 'strict', maxAge: 0 },
        false,
      ),
    ).toBe('rk=K2; Path=/app; HttpOnly; SameSite=Strict');
    expect(
      serializeKeyCookie('K3', { ...base, sameSite: 'none', maxAge: 0 }, true),
    ).toBe('realtime_key=K3; Path=/; HttpOnly; SameSite=None; Secure');
  });

  it('Max-Age is in seconds, rounded up; 0 makes a session cookie', () => {
    expect(serializeKeyCookie('K', { ...base, maxAge: 1500 }, false)).toBe(
      'realtime_key=K; Path=/; HttpOnly; SameSite=Lax; Max-Age=2',
    );
    expect(serializeKeyCookie('K', { ...base, maxAge: 1 }, false)).toBe(
      'realtime_key=K; Path=/; HttpOnly; SameSite=Lax; Max-Age=1',
    );
    expect(serializeKeyCookie('K', base, true)).toBe(
      `realtime_key=K; Path=/; HttpOnly; SameSite=Lax; Max-Age=${365 * 24 * 3600}; Secure`,
    );
  });

  it('Secure only when asked', () => {
    expect(serializeKeyCookie('K', { ...base, maxAge: 0 }, true)).toMatch(
      /; Secure$/,
    );
    expect(
      serializeKeyCookie('K', { ...base, maxAge: 0 }, false),
    ).not.toContain('Secure');
  });
});
