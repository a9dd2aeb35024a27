import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalPresence } from '../../src/presence/local-presence';

// The pure side of presence (README "Users and presence"): what one instance holds per
// channel, and when a user joins and leaves.

function tracker(grace = 1000) {
  const log: string[] = [];
  const changed: string[] = [];
  const local = new LocalPresence(grace, {
    joined: (channel, user, info) =>
      log.push(`join ${channel} ${user} ${info}`),
    left: (channel, user, info) => log.push(`leave ${channel} ${user} ${info}`),
    changed: (channel, user) => changed.push(`${channel} ${user ?? '-'}`),
  });
  const counts = (channel: string) => {
    const c = local.channels.get(channel);
    return c
      ? {
          views: c.views,
          connections: c.connections,
          users: Object.fromEntries(
            [...c.users].map(([u, e]) => [u, e.connections]),
          ),
        }
      : undefined;
  };
  return { local, log, changed, counts };
}

const view = (
  user: string | undefined,
  connections: number,
  channels: string[],
  info?: string,
) => ({ user, info, connections, channels });

describe('LocalPresence', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('two views of one user are one join; counts add up; an anonymous view counts views and connections only', () => {
    const { local, log, counts } = tracker();
    local.update('a1', view('alice', 1, ['room'], '{"n":1}'));
    local.update('a2', view('alice', 2, ['room', 'other']));
    local.update('x', view(undefined, 1, ['room']));
    expect(log).toEqual([
      'join room alice {"n":1}',
      'join other alice undefined',
    ]);
    expect(counts('room')).toEqual({
      views: 3,
      connections: 4,
      users: { alice: 3 },
    });
    expect(counts('other')).toEqual({
      views: 1,
      connections: 2,
      users: { alice: 2 },
    });
  });

  it('a user leaves `grace` after its last connection; one back within the grace cancels it', () => {
    vi.useFakeTimers();
    const { local, log, counts } = tracker(1000);
    local.update('a', view('bob', 1, ['room'], '"B"'));
    local.update('a', view('bob', 0, ['room'], '"B"'));
    expect(counts('room')).toEqual({
      views: 0,
      connections: 0,
      users: { bob: 0 },
    });
    vi.advanceTimersByTime(999);
    local.update('b', view('bob', 1, ['room'], '"B2"'));
    vi.advanceTimersByTime(5000);
    expect(log).toEqual(['join room bob "B"']);
    expect(local.channels.get('room')?.users.get('bob')?.info).toBe('"B2"');
    local.update('b', undefined);
    vi.advanceTimersByTime(999);
    expect(log).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['join room bob "B"', 'leave room bob "B2"']);
    expect(counts('room')).toBeUndefined();
  });

  it('grace 0 leaves at once; a view that changes channels or user moves its contribution', () => {
    const { local, log, counts } = tracker(0);
    local.update('a', view('carol', 1, ['r1']));
    local.update('a', view('carol', 1, ['r2']));
    local.update('a', view('dave', 1, ['r2']));
    expect(log).toEqual([
      'join r1 carol undefined',
      'join r2 carol undefined',
      'leave r1 carol undefined',
      'join r2 dave undefined',
      'leave r2 carol undefined',
    ]);
    expect(counts('r1')).toBeUndefined();
    expect(counts('r2')).toEqual({
      views: 1,
      connections: 1,
      users: { dave: 1 },
    });
  });

  it('the same state twice changes nothing; a view unknown here going away is nothing', () => {
    const { local, log, changed } = tracker(0);
    local.update('a', view('erin', 2, ['r']));
    local.update('a', view('erin', 2, ['r']));
    local.update('zzz', undefined);
    local.update('new', view('x', 0, ['r']));
    expect(log).toEqual(['join r erin undefined']);
    expect(changed.every((c) => c.startsWith('r '))).toBe(true);
  });

  it('a channel stays while a user of it is in its grace, and goes with the last one; its leave carries the info it joined with', () => {
    vi.useFakeTimers();
    const { local, log, counts } = tracker(1000);
    local.update('a', view('gus', 1, ['r'], '"G"'));
    vi.advanceTimersByTime(500);
    local.update('b', view('hal', 1, ['r'], '"H"'));
    local.update('a', undefined);
    vi.advanceTimersByTime(500);
    local.update('b', undefined);
    vi.advanceTimersByTime(500);
    expect(log).toEqual([
      'join r gus "G"',
      'join r hal "H"',
      'leave r gus "G"',
    ]);
    expect(counts('r')).toEqual({
      views: 0,
      connections: 0,
      users: { hal: 0 },
    });
    vi.advanceTimersByTime(500);
    expect(log.at(-1)).toBe('leave r hal "H"');
    expect(counts('r')).toBeUndefined();
  });

  it('an anonymous view going away takes its channel with it; entries() lists what is held', () => {
    const { local, counts } = tracker(1000);
    local.update('x', view(undefined, 2, ['r', 's']));
    expect([...local.entries()].map(([name]) => name)).toEqual(['r', 's']);
    local.update('x', view(undefined, 2, ['s']));
    expect(counts('r')).toBeUndefined();
    expect(counts('s')).toEqual({ views: 1, connections: 2, users: {} });
    local.update('x', undefined);
    expect([...local.entries()]).toEqual([]);
  });

  it('a user leaving a channel that still has anonymous views keeps the channel', () => {
    const { local, counts } = tracker(0);
    local.update('x', view(undefined, 1, ['r']));
    local.update('u', view('ivy', 1, ['r']));
    local.update('u', undefined);
    expect(counts('r')).toEqual({ views: 1, connections: 1, users: {} });
  });

  it('clear() stops the grace timers: nobody leaves after it', () => {
    vi.useFakeTimers();
    const { local, log } = tracker(1000);
    local.update('a', view('fay', 1, ['r']));
    local.update('a', undefined);
    local.clear();
    vi.advanceTimersByTime(5000);
    expect(log).toEqual(['join r fay undefined']);
    expect([...local.entries()]).toEqual([]);
  });
});
