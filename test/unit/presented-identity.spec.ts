import { describe, expect, it } from 'vitest';
import {
  presentedIdentity,
  type RealtimeRequest,
} from '../../src/identity/presented-identity';
import { RealtimeIdentity } from '../../src/identity/realtime-identity';

// README "Security and limits": what a request presents — the key from the cookie or
// X-Socket-Key (socket_key in the query on the upgrade only; only issued keys count),
// the id from X-Socket-Connection-Id, then the query, then the body.

const identity = new RealtimeIdentity('s'.repeat(40));
const key = identity.newSocketKey();
const other = identity.newSocketKey();
const invented = 'k'.repeat(64);

function request(parts: {
  headers?: Record<string, string | string[]>;
  url?: string;
  query?: unknown;
  body?: unknown;
}): RealtimeRequest {
  return {
    headers: parts.headers ?? {},
    url: parts.url ?? '/',
    query: parts.query,
    body: parts.body,
  } as unknown as RealtimeRequest;
}

const read = (req: RealtimeRequest, upgrade = false) =>
  presentedIdentity(req, 'rk', identity, upgrade);

describe('presentedIdentity', () => {
  it('reads the key from the named cookie, then from X-Socket-Key', () => {
    expect(read(request({ headers: { cookie: `a=1; rk=${key}` } })).key).toBe(
      key,
    );
    expect(
      read(request({ headers: { cookie: `realtime_key=${key}` } })).key,
    ).toBeUndefined();
    expect(read(request({ headers: { 'x-socket-key': key } })).key).toBe(key);
    expect(
      read(request({ headers: { 'x-socket-key': [key, other] } })).key,
    ).toBe(key);
    expect(
      read(request({ headers: { cookie: `rk=${key}`, 'x-socket-key': other } }))
        .key,
    ).toBe(key);
  });

  it('only issued keys count: an invented cookie falls through to the header, or to none', () => {
    expect(
      read(
        request({ headers: { cookie: `rk=${invented}`, 'x-socket-key': key } }),
      ).key,
    ).toBe(key);
    expect(
      read(request({ headers: { cookie: `rk=${invented}` } })).key,
    ).toBeUndefined();
    expect(
      read(request({ headers: { 'x-socket-key': invented } })).key,
    ).toBeUndefined();
  });

  it('socket_key in the query counts on the upgrade request only', () => {
    const viaUrl = request({ url: `/?socket_key=${key}` });
    expect(read(viaUrl).key).toBeUndefined();
    expect(read(viaUrl, true).key).toBe(key);
    const viaQuery = request({ query: { socket_key: key } });
    expect(read(viaQuery).key).toBeUndefined();
    expect(read(viaQuery, true).key).toBe(key);
    expect(read(request({ url: `/?socket_key=${invented}` }), true).key).toBe(
      undefined,
    );
  });

  it('reads the id from the header, then the query (parsed or in the URL), then the body', () => {
    expect(
      read(
        request({
          headers: { 'x-socket-connection-id': 'H' },
          url: '/?socket_connection_id=Q',
          body: { socket_connection_id: 'B' },
        }),
      ).connectionId,
    ).toBe('H');
    expect(
      read(
        request({
          headers: { 'x-socket-connection-id': ['H1', 'H2'] },
        }),
      ).connectionId,
    ).toBe('H1');
    expect(
      read(
        request({
          url: '/?socket_connection_id=Q&x=1',
          body: { socket_connection_id: 'B' },
        }),
      ).connectionId,
    ).toBe('Q');
    expect(
      read(
        request({
          query: { socket_connection_id: 'P' },
          url: '/?socket_connection_id=Q',
        }),
      ).connectionId,
    ).toBe('P');
    expect(
      read(request({ body: { socket_connection_id: 'B' } })).connectionId,
    ).toBe('B');
  });

  it('ignores ids that are not strings, and body fields that are inherited', () => {
    expect(
      read(request({ query: { socket_connection_id: ['a', 'b'] } }))
        .connectionId,
    ).toBeUndefined();
    expect(
      read(request({ body: { socket_connection_id: 5 } })).connectionId,
    ).toBeUndefined();
    const inherited = Object.create({ socket_connection_id: 'proto' });
    expect(read(request({ body: inherited })).connectionId).toBeUndefined();
    expect(read(request({ body: 'text' })).connectionId).toBeUndefined();
    expect(read(request({ url: '/path' })).connectionId).toBeUndefined();
    expect(read(request({})).key).toBeUndefined();
  });

  it('a query that is not an object (an unparsed string) falls back to the URL; the path before "?" is not a parameter', () => {
    expect(
      read(
        request({
          query: 'socket_connection_id=Z',
          url: '/page?socket_connection_id=Q',
        }),
      ).connectionId,
    ).toBe('Q');
    expect(
      read(request({ url: '/page?socket_connection_id=Q' })).connectionId,
    ).toBe('Q');
  });

  it('is not the upgrade request unless told', () => {
    const req = request({ url: `/?socket_key=${key}` });
    expect(presentedIdentity(req, 'rk', identity).key).toBeUndefined();
  });
});
