// (h) Presence (SPEC §11, issue "presence costs little"):
//  1. fan-out with presence vs without: nestjs-realtime and nestjs-realtime-presence
//     (`presence: ['bench']`, every page render identifies a distinct user), the same
//     interleaved bursts as (a), after every join frame was delivered;
//  2. the Redis commands of presence: N identified connections on one or two instances
//     on the bench's redis-server, counted with MONITOR (and INFO commandstats) during
//     the joins and in an idle window of K renew intervals.
import { Redis } from 'ioredis';
import { BenchFailure } from './phase.mjs';
import { commandStats, startMonitor, statsDelta } from './redis-monitor.mjs';
import { frameErrors } from './presence-report.mjs';
import { burstRounds, connectTimeout, prepare } from './scenarios.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const POLL_MS = 250;
/** The channels of part 2 (`presence: ['presence-bench-*']`). */
export const REDIS_PATTERN = 'presence-bench-*';
const channelName = (i) => `presence-bench-${i}`;
const FLUSH = /^evalsha? rtPresenceFlush$/;
const READ = /^evalsha? rtPresenceRead$/;

/** The renew interval of the Redis registry for a pendingTtl (flushes and lease renewals). */
export const renewInterval = (pendingTtl) =>
  Math.max(250, Math.floor(pendingTtl / 3));

const sumMatching = (byName, re) =>
  Object.entries(byName).reduce((n, [k, v]) => n + (re.test(k) ? v : 0), 0);

/**
 * Polls `presenceStats` of each channel on the rig's first server until every one
 * equals `expected[i]` ({ users, views, connections }); throws when it does not within
 * `timeoutMs`. Returns the last answer and how long it took.
 */
async function awaitStats(rig, channels, expected, timeoutMs) {
  const started = performance.now();
  let stats;
  for (;;) {
    stats = await rig.servers[0].request('presenceStats', { channels });
    const ok = stats.every(
      (s, i) =>
        s.users === expected[i].users &&
        s.views === expected[i].views &&
        s.connections === expected[i].connections,
    );
    if (ok) return { stats, ms: performance.now() - started };
    if (performance.now() - started > timeoutMs) {
      const wrong = stats
        .map((s, i) => ({ channel: channels[i], got: s, want: expected[i] }))
        .filter(
          ({ got, want }) =>
            got.users !== want.users || got.connections !== want.connections,
        )
        .slice(0, 3)
        .map(
          ({ channel, got, want }) =>
            `${channel}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
        );
      throw new BenchFailure(
        `presenceStats still wrong after ${timeoutMs} ms: ${wrong.join('; ')}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/**
 * Waits until the join frames stopped arriving: at least `min` of them and no new one
 * for 1 s, or none for 3 s (then whatever arrived), at most `timeoutMs`.
 */
async function settleFrames(rig, min, timeoutMs) {
  const started = performance.now();
  let last = await rig.presenceFrames();
  let stableSince = performance.now();
  for (;;) {
    await sleep(POLL_MS);
    const now = await rig.presenceFrames();
    const t = performance.now();
    if (now.join !== last.join || now.leave !== last.leave) stableSince = t;
    last = now;
    const stable = t - stableSince;
    if (
      (last.join >= min && stable >= 1000) ||
      stable >= 3000 ||
      t - started > timeoutMs
    )
      return { ...last, ms: t - started - stable };
  }
}

/** Per channel, its clients: client i is on channel floor(i / instances) % k (loadgen's rule). */
function perChannel(clients, k, instances) {
  const counts = Array(k).fill(0);
  for (let i = 0; i < clients; i++) counts[Math.floor(i / instances) % k]++;
  return counts;
}

/**
 * Join frames one channel's n subscribers can get: each join reaches at least the
 * subscribers that came after it (n(n − 1)/2: the memory registry, which tells a
 * connection of the joins after its own, gives exactly that) and each subscriber hears
 * of each user at most once (n²: on Redis a join goes out with the flush after the
 * user's socket opened, so subscribers that came meanwhile hear of it too).
 */
const joinFrames = (n) => ({ min: (n * (n - 1)) / 2, max: n * n });

/** Part 1: the same bursts to N clients with and without presence (and identified users). */
export async function presenceFanout(group, params, { log }) {
  const { clients, warmup } = params.presence.fanout;
  const frames = joinFrames(clients);
  const prepared = { ...params, warmup: warmup ?? params.warmup };
  await prepare(group, clients, prepared, undefined, async (rig) => {
    if (!rig.identify) return;
    const settled = await settleFrames(
      rig,
      frames.min,
      params.presence.settleMs,
    );
    const { stats } = await awaitStats(
      rig,
      ['bench'],
      [{ users: clients, views: clients, connections: clients }],
      params.presence.settleMs,
    );
    rig.entry.joinFrames = { ...settled, expected: frames };
    rig.entry.presenceStats = stats[0];
    // The per-client user sets of the duplicate check go before the measured bursts.
    await rig.presenceFrames(true);
  });
  await group.each(async (rig) => {
    rig.framesBefore = await rig.presenceFrames();
  });
  await burstRounds(group, params.presence.fanout, undefined, log);
  // Presence frames in the measured rounds (expected 0: nobody joined or left).
  await group.each(async (rig) => {
    const after = await rig.presenceFrames();
    rig.entry.framesDuringRounds = {
      join: after.join - rig.framesBefore.join,
      leave: after.leave - rig.framesBefore.leave,
    };
  });
}

/** What the MONITOR saw in [from, to): totals, per name, flush calls per instance. */
function countWindow(monitor, from, to, intervalMs) {
  const c = monitor.count(from, to);
  const intervals = (to - from) / intervalMs;
  const flushCalls = sumMatching(c.byName, FLUSH);
  const statsReads = sumMatching(c.byName, READ);
  const flushBySource = Object.values(c.bySource)
    .map((per) => sumMatching(per, FLUSH))
    .filter((n) => n > 0)
    .sort((a, b) => b - a);
  const top = Object.entries(c.byName)
    .filter(([name]) => !READ.test(name))
    .sort((a, b) => b[1] - a[1]);
  return {
    ms: to - from,
    intervals,
    flushCalls,
    flushBySource,
    // The bench's own presenceStats checks (rtPresenceRead, sent by an instance) are left out.
    statsReads,
    commands: c.total - statsReads,
    byName: Object.fromEntries(top),
    sources: Object.keys(c.bySource).length,
    dropped: c.dropped,
  };
}

/**
 * Part 2: `instances` nestjs-realtime on Redis (presence on `presence-bench-*`,
 * pendingTtl from params), N identified connections split over k channels.
 */
export async function presenceRedis(group, params, { redisServer, log }) {
  const rig = group.live()[0];
  if (!rig) return;
  const { clients, channels: k, pendingTtl, intervals } = params.presence.redis;
  const { settleMs } = params.presence;
  const instances = rig.servers.length;
  const intervalMs = renewInterval(pendingTtl);
  const channels = Array.from({ length: k }, (_, i) => channelName(i));
  const counts = perChannel(clients, k, instances);
  const expected = counts.map((n) => ({ users: n, views: n, connections: n }));
  const info = new Redis(redisServer.url, { lazyConnect: true });
  info.on('error', () => {});
  await info.connect();
  const monitor = await startMonitor(redisServer.port, {
    own: new Set([info.stream.localPort]),
  });
  try {
    // The instances' first flushes and subscriptions are done by now.
    await sleep(intervalMs);
    // (a) The join phase: page renders (identify, subscribe) and sockets, until
    // presenceStats on the first instance counts every user on every channel.
    const t0 = Date.now();
    const cs0 = await commandStats(info);
    const connect = await rig.connect(
      clients,
      params.concurrency,
      connectTimeout(clients),
      { channels },
    );
    const statsAfterJoin = await awaitStats(rig, channels, expected, settleMs);
    const t1 = Date.now();
    const cs1 = await commandStats(info);
    const min = counts.reduce((n, c) => n + joinFrames(c).min, 0);
    const max = counts.reduce((n, c) => n + joinFrames(c).max, 0);
    const frames = await settleFrames(rig, min, settleMs);
    await sleep(intervalMs / 2);
    // (b) The idle window: nothing changes; K renew intervals.
    const framesBefore = await rig.presenceFrames();
    const t2 = Date.now();
    const cs2 = await commandStats(info);
    await sleep(intervals * intervalMs);
    const t3 = Date.now();
    const cs3 = await commandStats(info);
    const framesAfter = await rig.presenceFrames();
    const statsAfterIdle = await awaitStats(rig, channels, expected, settleMs);
    const [server] = await rig.stats();
    await sleep(300); // the last MONITOR lines
    const join = countWindow(monitor, t0, t1, intervalMs);
    const idle = countWindow(monitor, t2, t3, intervalMs);
    Object.assign(join, {
      connectMs: connect.ms,
      statsMs: statsAfterJoin.ms,
      commandstats: statsDelta(cs0, cs1),
    });
    Object.assign(idle, {
      flushPerInterval: idle.flushCalls / idle.intervals,
      commandsPerInterval: idle.commands / idle.intervals,
      commandstats: statsDelta(cs2, cs3),
      // Read events Redis processed, less the bench's own INFO at t3 (MONITOR sends nothing).
      readsPerInterval: (cs3.reads - cs2.reads - 1) / idle.intervals,
      frames: {
        join: framesAfter.join - framesBefore.join,
        leave: framesAfter.leave - framesBefore.leave,
      },
    });
    Object.assign(rig.entry, {
      clients,
      instances,
      channels: k,
      pendingTtl,
      intervalMs,
      serverConnections: server.connections,
      joinFrames: { ...frames, expected: { min, max } },
      presenceStats: {
        users: sum(statsAfterIdle.stats, 'users'),
        views: sum(statsAfterIdle.stats, 'views'),
        connections: sum(statsAfterIdle.stats, 'connections'),
        channels: statsAfterIdle.stats,
      },
      join,
      idle,
    });
    log?.(rig.entry);
    if (idle.frames.join || idle.frames.leave)
      throw new BenchFailure(
        `presence frames in the idle window (nobody joined or left): ${idle.frames.join} joins, ${idle.frames.leave} leaves`,
      );
  } finally {
    monitor.stop();
    info.disconnect();
  }
}

const sum = (list, key) => list.reduce((n, x) => n + x[key], 0);

/** One line for the console per Redis set-up. */
export function presenceLine(entry) {
  const { join, idle } = entry;
  const per = (n) => (n / idle.intervals).toFixed(2);
  const top = Object.entries(idle.byName)
    .slice(0, 4)
    .map(([name, n]) => `${name} ${per(n)}`)
    .join(', ');
  return (
    `  ${entry.instances} instance(s), ${entry.clients} identified connections on ${entry.channels} channels, interval ${entry.intervalMs} ms: ` +
    `joins ${(join.ms / 1000).toFixed(1)} s, ${join.flushCalls} flush calls, ${join.commands} commands (${(join.commands / entry.clients).toFixed(2)}/connection); ` +
    `idle ${idle.intervals.toFixed(2)} intervals: flush calls ${idle.flushPerInterval.toFixed(2)}/interval (per instance: ${idle.flushBySource.join(', ')}), ` +
    `all commands ${idle.commandsPerInterval.toFixed(0)}/interval (${top}), Redis read events ${idle.readsPerInterval.toFixed(1)}/interval; presenceStats ${entry.presenceStats.users} users, ${entry.presenceStats.connections} connections; ` +
    `join frames ${entry.joinFrames.join} (possible ${entry.joinFrames.expected.min}–${entry.joinFrames.expected.max}; ${frameErrors(entry.joinFrames)}), idle frames ${idle.frames.join + idle.frames.leave}`
  );
}
