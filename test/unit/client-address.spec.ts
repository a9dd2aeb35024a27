import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  clientAddress,
  TRUST_NONE,
  type TrustProxy,
} from '../../src/identity/client-address';

// SPEC §5/§7: the client address is what `req.ip` gives on the same HTTP request: the
// socket's peer, then X-Forwarded-For from the right while each hop is a trusted proxy
// (Express's proxy-addr walk; hop 0 is the socket's peer).

type Req = Pick<IncomingMessage, 'headers' | 'socket'>;

function request(
  peer: string | undefined,
  forwardedFor?: string | string[],
): Req {
  return {
    headers:
      forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    socket: { remoteAddress: peer },
  } as unknown as Req;
}

/** Express `trust proxy` = n: the n hops closest to the server are proxies. */
const hops =
  (n: number): TrustProxy =>
  (_address, hop) =>
    hop < n;
const TRUST_ALL: TrustProxy = () => true;
/** Express `trust proxy` = '10.0.0.0/8', roughly. */
const TRUST_TEN: TrustProxy = (address) => address.startsWith('10.');

describe('clientAddress', () => {
  it('TRUST_NONE trusts nothing, and answers false', () => {
    expect(TRUST_NONE('10.0.0.1', 0)).toBe(false);
    expect(clientAddress(request('10.0.0.1', '1.1.1.1'), TRUST_NONE)).toBe(
      '10.0.0.1',
    );
  });

  it('no peer address gives undefined, whatever the header says', () => {
    expect(clientAddress(request(undefined), TRUST_ALL)).toBeUndefined();
    expect(
      clientAddress(request(undefined, '1.1.1.1'), TRUST_ALL),
    ).toBeUndefined();
  });

  it('an untrusted peer is the client: X-Forwarded-For is ignored', () => {
    expect(clientAddress(request('9.9.9.9', '1.1.1.1'), TRUST_TEN)).toBe(
      '9.9.9.9',
    );
    expect(clientAddress(request('9.9.9.9', '1.1.1.1'), hops(0))).toBe(
      '9.9.9.9',
    );
  });

  it('a trusted peer without X-Forwarded-For (or an empty one) is the client', () => {
    expect(clientAddress(request('10.0.0.1'), TRUST_TEN)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1', ''), TRUST_ALL)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1', ' , ,'), TRUST_ALL)).toBe(
      '10.0.0.1',
    );
  });

  it('walks X-Forwarded-For from the right while the hop before is trusted', () => {
    const req = request('10.0.0.1', '1.1.1.1, 2.2.2.2, 3.3.3.3');
    expect(clientAddress(req, hops(1))).toBe('3.3.3.3');
    expect(clientAddress(req, hops(2))).toBe('2.2.2.2');
    expect(clientAddress(req, hops(3))).toBe('1.1.1.1');
    // Everything trusted: the leftmost entry.
    expect(clientAddress(req, hops(9))).toBe('1.1.1.1');
    expect(clientAddress(req, TRUST_ALL)).toBe('1.1.1.1');
  });

  it('a client cannot choose its address by prepending to the header', () => {
    const req = request('10.0.0.1', 'spoofed, 7.7.7.7, 10.0.0.2');
    expect(clientAddress(req, TRUST_TEN)).toBe('7.7.7.7');
  });

  it('asks the trust function about each hop with its number, stopping at the first untrusted one', () => {
    const asked: [string, number][] = [];
    const trust: TrustProxy = (address, hop) => {
      asked.push([address, hop]);
      return address !== '2.2.2.2';
    };
    expect(
      clientAddress(request('10.0.0.1', '1.1.1.1, 2.2.2.2, 3.3.3.3'), trust),
    ).toBe('2.2.2.2');
    expect(asked).toEqual([
      ['10.0.0.1', 0],
      ['3.3.3.3', 1],
      ['2.2.2.2', 2],
    ]);
  });

  it('trims entries and skips empty ones', () => {
    const req = request('10.0.0.1', ' 1.1.1.1 ,, 2.2.2.2 , ');
    expect(clientAddress(req, hops(1))).toBe('2.2.2.2');
    expect(clientAddress(req, TRUST_ALL)).toBe('1.1.1.1');
  });

  it('several X-Forwarded-For headers are one list, in order', () => {
    const req = request('10.0.0.1', ['1.1.1.1, 2.2.2.2', '3.3.3.3']);
    expect(clientAddress(req, hops(1))).toBe('3.3.3.3');
    expect(clientAddress(req, hops(2))).toBe('2.2.2.2');
    expect(clientAddress(req, hops(3))).toBe('1.1.1.1');
  });
});
