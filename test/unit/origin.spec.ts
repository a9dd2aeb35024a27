import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isOriginAllowed, requestScheme } from '../../src/identity/origin';
import { resolveOptions, type RealtimeModuleOptions } from '../../src/options';

// SPEC §5: the handshake's Origin must be the app's own origin — scheme (https on TLS
// or when a trusted proxy says so) + "://" + Host — or an allowed one; `null` never.

const DEV = { NODE_ENV: 'development' } as NodeJS.ProcessEnv;

function request(
  headers: Record<string, string | string[] | undefined>,
  socket: object | null = {},
): IncomingMessage {
  return { headers, socket } as unknown as IncomingMessage;
}

function options(raw: RealtimeModuleOptions = {}) {
  return resolveOptions(raw, DEV);
}

describe('requestScheme', () => {
  it('is https on a TLS socket, whatever the headers say', () => {
    const req = request({ 'x-forwarded-proto': 'http' }, { encrypted: true });
    expect(requestScheme(req, false)).toBe('https');
    expect(requestScheme(req, true)).toBe('https');
  });

  it('is http on a plain socket, or once the socket is gone (req.socket null)', () => {
    expect(requestScheme(request({}), false)).toBe('http');
    expect(requestScheme(request({}, { encrypted: false }), true)).toBe('http');
    expect(requestScheme(request({}, null), false)).toBe('http');
    expect(
      requestScheme(request({ 'x-forwarded-proto': 'https' }, null), true),
    ).toBe('https');
  });

  it('takes X-Forwarded-Proto only from a trusted proxy', () => {
    const req = request({ 'x-forwarded-proto': 'https' });
    expect(requestScheme(req, false)).toBe('http');
    expect(requestScheme(req, true)).toBe('https');
  });

  it('uses the first X-Forwarded-Proto entry, trimmed, in any case', () => {
    const scheme = (value: string | string[] | undefined) =>
      requestScheme(request({ 'x-forwarded-proto': value }), true);
    expect(scheme('https,http')).toBe('https');
    expect(scheme(' https , http')).toBe('https');
    expect(scheme('HTTPS')).toBe('https');
    expect(scheme('Https')).toBe('https');
    expect(scheme('http, https')).toBe('http');
    expect(scheme('httpsx')).toBe('http');
    expect(scheme('')).toBe('http');
    expect(scheme(undefined)).toBe('http');
    expect(scheme(['https', 'http'])).toBe('https');
    expect(scheme(['http', 'https'])).toBe('http');
    expect(scheme(['https, http'])).toBe('https');
  });
});

describe('isOriginAllowed', () => {
  it('a request without Origin passes unless requireOrigin', () => {
    const req = request({ host: 'app.example' });
    expect(isOriginAllowed(req, options())).toBe(true);
    expect(isOriginAllowed(req, options({ requireOrigin: true }))).toBe(false);
  });

  it('the app’s own origin passes: scheme + Host, port included, any case', () => {
    const own = (headers: Record<string, string>, socket?: object) =>
      isOriginAllowed(request(headers, socket), options());
    expect(own({ host: 'app.example', origin: 'http://app.example' })).toBe(
      true,
    );
    expect(
      own({ host: 'app.example:3000', origin: 'http://app.example:3000' }),
    ).toBe(true);
    expect(own({ host: 'App.Example', origin: 'http://app.example' })).toBe(
      true,
    );
    expect(own({ host: 'app.example', origin: 'HTTP://APP.EXAMPLE' })).toBe(
      true,
    );
    expect(
      own(
        { host: 'app.example', origin: 'https://app.example' },
        { encrypted: true },
      ),
    ).toBe(true);
  });

  it('another scheme, host or port is refused', () => {
    const own = (headers: Record<string, string>, socket?: object) =>
      isOriginAllowed(request(headers, socket), options());
    expect(own({ host: 'app.example', origin: 'https://app.example' })).toBe(
      false,
    );
    expect(
      own(
        { host: 'app.example', origin: 'http://app.example' },
        { encrypted: true },
      ),
    ).toBe(false);
    expect(own({ host: 'app.example', origin: 'http://evil.example' })).toBe(
      false,
    );
    expect(
      own({ host: 'app.example:3000', origin: 'http://app.example:3001' }),
    ).toBe(false);
    expect(own({ host: 'app.example', origin: 'http://app.example:80' })).toBe(
      false,
    );
    expect(own({ host: 'app.example', origin: 'http://app.example/' })).toBe(
      false,
    );
    expect(own({ host: 'app.example', origin: 'app.example' })).toBe(false);
  });

  it('https behind a trusted proxy is the app’s own origin; an untrusted proxy is not believed', () => {
    const headers = {
      host: 'app.example',
      origin: 'https://app.example',
      'x-forwarded-proto': 'https',
    };
    expect(
      isOriginAllowed(request(headers), options({ trustProxy: true })),
    ).toBe(true);
    expect(isOriginAllowed(request(headers), options())).toBe(false);
  });

  it('without a Host header only an allowed origin passes', () => {
    const req = request({ origin: 'http://app.example' });
    expect(isOriginAllowed(req, options())).toBe(false);
    expect(
      isOriginAllowed(req, options({ allowedOrigins: ['http://app.example'] })),
    ).toBe(true);
  });

  it('`null`, or an Origin that is not one string, is always refused', () => {
    const anything = options({ allowedOrigins: () => true });
    expect(
      isOriginAllowed(request({ host: 'null', origin: 'null' }), anything),
    ).toBe(false);
    expect(
      isOriginAllowed(
        request({
          host: 'app.example',
          origin: ['http://app.example', 'http://app.example'],
        }),
        anything,
      ),
    ).toBe(false);
  });

  it('allowedOrigins entries match in any case, after normalization', () => {
    const o = options({
      allowedOrigins: ['https://Partner.Example:8443', 'https://b.example:443'],
    });
    const from = (origin: string) =>
      isOriginAllowed(request({ host: 'app.example', origin }), o);
    expect(from('https://partner.example:8443')).toBe(true);
    expect(from('HTTPS://PARTNER.EXAMPLE:8443')).toBe(true);
    expect(from('https://b.example')).toBe(true);
    expect(from('https://partner.example')).toBe(false);
    expect(from('http://partner.example:8443')).toBe(false);
    expect(from('https://app.example')).toBe(false);
  });

  it('a predicate gets the Origin as sent and the request, and only `true` allows', () => {
    const seen: [string, IncomingMessage][] = [];
    const answers: unknown[] = [true, 1, 'yes', false, undefined];
    const o = options({
      allowedOrigins: (origin, req) => {
        seen.push([origin, req]);
        return answers[seen.length - 1] as boolean;
      },
    });
    const req = request({
      host: 'app.example',
      origin: 'HTTPS://Other.Example',
    });
    expect(isOriginAllowed(req, o)).toBe(true);
    expect(isOriginAllowed(req, o)).toBe(false);
    expect(isOriginAllowed(req, o)).toBe(false);
    expect(isOriginAllowed(req, o)).toBe(false);
    expect(isOriginAllowed(req, o)).toBe(false);
    expect(seen).toHaveLength(5);
    expect(seen[0][0]).toBe('HTTPS://Other.Example');
    expect(seen[0][1]).toBe(req);
  });

  it('the predicate is not asked about the app’s own origin or a missing one', () => {
    let asked = 0;
    const o = options({
      allowedOrigins: () => {
        asked++;
        return false;
      },
    });
    expect(
      isOriginAllowed(
        request({ host: 'app.example', origin: 'http://app.example' }),
        o,
      ),
    ).toBe(true);
    expect(isOriginAllowed(request({ host: 'app.example' }), o)).toBe(true);
    expect(asked).toBe(0);
  });
});
