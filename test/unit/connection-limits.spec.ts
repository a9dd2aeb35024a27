import { describe, expect, it } from 'vitest';
import { ConnectionLimits } from '../../src/gateway/connection-limits';

// SPEC §7: maxConnections (total), maxConnectionsPerAddress (whatever keys) and
// maxConnectionsPerClient (one issued key); places are reserved and released.

describe('ConnectionLimits', () => {
  it('the total cap refuses the place after the last one, then frees it on release', () => {
    const limits = new ConnectionLimits(2, 10, 10);
    expect(limits.reserve('a', 'k1')).toBe('ok');
    expect(limits.reserve('b', 'k2')).toBe('ok');
    expect(limits.reserve('c', 'k3')).toBe('global_cap');
    expect(limits.reserve('c', undefined)).toBe('global_cap');
    limits.release('a', 'k1');
    expect(limits.reserve('c', 'k3')).toBe('ok');
    expect(limits.reserve('d', 'k4')).toBe('global_cap');
  });

  it('the address cap counts every socket of an address, whatever keys (or none) it presents', () => {
    const limits = new ConnectionLimits(100, 2, 10);
    expect(limits.reserve('1.1.1.1', 'k1')).toBe('ok');
    expect(limits.reserve('1.1.1.1', undefined)).toBe('ok');
    expect(limits.reserve('1.1.1.1', 'k3')).toBe('address_cap');
    expect(limits.reserve('1.1.1.1', undefined)).toBe('address_cap');
    expect(limits.reserve('2.2.2.2', 'k1')).toBe('ok');
    limits.release('1.1.1.1', undefined);
    expect(limits.reserve('1.1.1.1', 'k3')).toBe('ok');
    expect(limits.reserve('1.1.1.1', 'k4')).toBe('address_cap');
  });

  it('the key cap counts the sockets of one key across addresses; no key is never refused by it', () => {
    const limits = new ConnectionLimits(100, 100, 2);
    expect(limits.reserve('a', 'k')).toBe('ok');
    expect(limits.reserve('b', 'k')).toBe('ok');
    expect(limits.reserve('c', 'k')).toBe('client_cap');
    expect(limits.reserve('c', 'other')).toBe('ok');
    for (let i = 0; i < 5; i++)
      expect(limits.reserve('c', undefined)).toBe('ok');
    limits.release('a', 'k');
    expect(limits.reserve('c', 'k')).toBe('ok');
    expect(limits.reserve('d', 'k')).toBe('client_cap');
  });

  it('checks the total first, then the address, then the key', () => {
    const full = new ConnectionLimits(1, 1, 1);
    expect(full.reserve('a', 'k')).toBe('ok');
    expect(full.reserve('a', 'k')).toBe('global_cap');
    const limits = new ConnectionLimits(10, 1, 1);
    expect(limits.reserve('a', 'k')).toBe('ok');
    expect(limits.reserve('a', 'k')).toBe('address_cap');
    expect(limits.reserve('b', 'k')).toBe('client_cap');
  });

  it('a refused reservation takes no place', () => {
    const limits = new ConnectionLimits(3, 1, 1);
    expect(limits.reserve('a', 'k')).toBe('ok');
    for (let i = 0; i < 5; i++) {
      expect(limits.reserve('a', 'x')).toBe('address_cap');
      expect(limits.reserve('b', 'k')).toBe('client_cap');
    }
    expect(limits.reserve('b', 'x')).toBe('ok');
    expect(limits.reserve('c', 'y')).toBe('ok');
    expect(limits.reserve('d', 'z')).toBe('global_cap');
  });

  it('releases one place at a time for an address holding several', () => {
    const limits = new ConnectionLimits(100, 3, 3);
    for (let i = 0; i < 3; i++) expect(limits.reserve('a', 'k')).toBe('ok');
    limits.release('a', 'k');
    expect(limits.reserve('a', 'k')).toBe('ok');
    expect(limits.reserve('a', 'k')).toBe('address_cap');
    limits.release('a', 'k');
    limits.release('a', 'k');
    expect(limits.reserve('a', 'k')).toBe('ok');
    expect(limits.reserve('a', 'k')).toBe('ok');
    expect(limits.reserve('a', 'k')).toBe('address_cap');
  });

  it('a release without a reservation (or one too many) frees nothing', () => {
    const limits = new ConnectionLimits(1, 5, 5);
    limits.release('nobody', 'k');
    limits.release('nobody', undefined);
    expect(limits.reserve('a', 'k')).toBe('ok');
    expect(limits.reserve('b', 'j')).toBe('global_cap');
    limits.release('a', 'k');
    limits.release('a', 'k');
    limits.release('a', undefined);
    expect(limits.reserve('b', 'j')).toBe('ok');
    expect(limits.reserve('c', 'i')).toBe('global_cap');
  });

  it('a spurious release does not free a key place either', () => {
    const limits = new ConnectionLimits(100, 100, 1);
    expect(limits.reserve('a', 'k')).toBe('ok');
    limits.release('a', 'k');
    limits.release('a', 'k');
    expect(limits.reserve('b', 'k')).toBe('ok');
    // A release for an address that holds a place, with a key it never reserved.
    limits.release('b', 'never');
    expect(limits.reserve('c', 'k')).toBe('client_cap');
    expect(limits.reserve('c', 'never')).toBe('ok');
    expect(limits.reserve('d', 'never')).toBe('client_cap');
  });

  it('a key place released is free for the next socket of that key', () => {
    const limits = new ConnectionLimits(100, 100, 2);
    expect(limits.reserve('a', 'k')).toBe('ok');
    expect(limits.reserve('a', 'k')).toBe('ok');
    limits.release('a', 'k');
    expect(limits.reserve('b', 'k')).toBe('ok');
    expect(limits.reserve('c', 'k')).toBe('client_cap');
    limits.release('a', 'k');
    limits.release('b', 'k');
    expect(limits.reserve('c', 'k')).toBe('ok');
    expect(limits.reserve('c', 'k')).toBe('ok');
    expect(limits.reserve('c', 'k')).toBe('client_cap');
  });
});
