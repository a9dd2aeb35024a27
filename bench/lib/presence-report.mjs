// The presence scenario (h) in the report: fan-out with and without presence, the Redis
// commands of presence per renew interval, and their bars.
import { PRESENCE } from './config.mjs';
import { int, num, ratio, table } from './markdown.mjs';

const NR = 'nestjs-realtime';
const ok = (e) => e && !e.failed && !e.na;

function fanoutTable(entries) {
  const off = entries.find((e) => e.target === NR && ok(e))?.summary;
  const header = [
    'target',
    'clients',
    'deliveries/s',
    '× without',
    'p50 ms',
    'p99 ms',
    'CPU µs/delivery',
    '× without',
    'connect s',
    'join frames',
  ];
  const rows = entries.map((e) => {
    const name =
      e.target === PRESENCE ? 'nestjs-realtime (presence)' : 'nestjs-realtime';
    if (!ok(e))
      return [
        name,
        `FAILED: ${String(e.failed).split('\n')[0].slice(0, 160)}`,
        ...Array(header.length - 2).fill(''),
      ];
    const s = e.summary;
    return [
      name,
      int(e.clients),
      int(s.deliveriesPerSec),
      ratio(s.deliveriesPerSec, off?.deliveriesPerSec),
      num(s.p50),
      num(s.p99),
      num(s.cpuUsPerDelivery),
      ratio(s.cpuUsPerDelivery, off?.cpuUsPerDelivery),
      num(e.connectMs / 1000, 1),
      e.joinFrames ? int(e.joinFrames.join) : '–',
    ];
  });
  let text = table(header, rows);
  const on = entries.find((e) => e.target === PRESENCE && ok(e));
  if (on && off) {
    const f = on.joinFrames;
    const during = on.framesDuringRounds;
    text +=
      `\n\n**Presence on vs off** (nestjs-realtime (presence) ÷ nestjs-realtime, same rounds; the bar: deliveries/s ≥ 0.95×): deliveries/s ${ratio(on.summary.deliveriesPerSec, off.deliveriesPerSec)}, CPU/delivery ${ratio(on.summary.cpuUsPerDelivery, off.cpuUsPerDelivery)}. ` +
      `Before the bursts: presenceStats('bench') ${int(on.presenceStats?.users)} users, ${int(on.presenceStats?.connections)} connections; ` +
      `${int(f?.join)} join frames (${frameErrors(f ?? {})}; each of the ${int(on.clients)} users joins every subscriber already there: ${int(f?.expected.min)}), ` +
      `${int((during?.join ?? 0) + (during?.leave ?? 0))} presence frames during the bursts.`;
  }
  return text;
}

function redisTable(entries) {
  const header = [
    'instances',
    'identified connections',
    'channels',
    'interval ms',
    'joins s',
    'flush calls (joins)',
    'commands (joins)',
    'per connection',
    'idle intervals',
    'flush calls / interval',
    'per instance',
    'all commands / interval',
    'of which rtRenew',
    'PEXPIRE',
    'other',
    'Redis read events / interval',
    'presenceStats users / connections',
  ];
  const rows = entries.map((e) => {
    if (!ok(e))
      return [
        int(e.instances),
        `FAILED: ${String(e.failed).split('\n')[0].slice(0, 160)}`,
        ...Array(header.length - 2).fill(''),
      ];
    const { join, idle } = e;
    const per = (n) => n / idle.intervals;
    const renew =
      (idle.byName['evalsha rtRenew'] ?? 0) +
      (idle.byName['eval rtRenew'] ?? 0);
    const pexpire = idle.byName.pexpire ?? 0;
    return [
      int(e.instances),
      int(e.clients),
      int(e.channels),
      int(e.intervalMs),
      num(join.ms / 1000, 1),
      int(join.flushCalls),
      int(join.commands),
      num(join.commands / e.clients, 1),
      num(idle.intervals, 2),
      num(idle.flushPerInterval, 2),
      idle.flushBySource.map((n) => num(n / idle.intervals, 2)).join(', '),
      int(idle.commandsPerInterval),
      int(per(renew)),
      int(per(pexpire)),
      int(per(idle.commands - renew - pexpire - idle.flushCalls)),
      num(idle.readsPerInterval, 1),
      `${int(e.presenceStats.users)} / ${int(e.presenceStats.connections)}`,
    ];
  });
  let text = table(header, rows);
  const first = entries.find(ok);
  if (first) {
    const frames = entries
      .filter(ok)
      .map(
        (e) =>
          `${e.instances} instance${e.instances > 1 ? 's' : ''}: ${int(e.joinFrames.join)} join frames (${frameErrors(e.joinFrames)}), ${int(e.idle.frames.join + e.idle.frames.leave)} in the idle window`,
      );
    text +=
      `\n\nCounted with MONITOR on the bench's redis-server: the instances' top-level commands (a script's own calls are not round trips), an EVAL/EVALSHA named by its script's sha1 (\`rtPresenceFlush\` is presence's one call per flush); the bench's own \`presenceStats\` reads (\`rtPresenceRead\`) are left out. ` +
      `Joins: from the first page render until \`presenceStats\` on the first instance counted every user of every channel (the periodic flushes of those seconds included). ` +
      `Idle: ${num(first.idle.intervals, 0)} renew intervals later, nothing changing; "other" is the rest besides the flush (e.g. \`rtHistoryEnsure\` per channel). Presence frames: ${frames.join('; ')}.`;
  }
  return text;
}

export function presenceSection(entries) {
  const fanout = entries.filter((e) => e.part === 'fanout');
  const redis = entries.filter((e) => e.part === 'redis');
  const parts = [];
  if (fanout.length)
    parts.push(
      `Fan-out with and without presence (memory registry, interleaved bursts as in (a)):\n\n${fanoutTable(fanout)}`,
    );
  if (redis.length)
    parts.push(
      `Presence on Redis: Redis commands during the joins and per renew interval (pendingTtl ${int(redis.find(ok)?.pendingTtl)} ms):\n\n${redisTable(redis)}`,
    );
  return {
    title: '(h) Presence: fan-out with presence, and its Redis round trips',
    text: parts.join('\n\n'),
  };
}

/** The per-subscriber check of the presence frames, as text. */
export function frameErrors(f) {
  const bad = [
    f.duplicateJoin && `${f.duplicateJoin} joins of a user already present`,
    f.foreignJoin && `${f.foreignJoin} joins of another channel's user`,
    f.unknownLeave && `${f.unknownLeave} leaves of a user never joined`,
    f.leave && `${f.leave} leaves`,
  ].filter(Boolean);
  return bad.length ? bad.join(', ') : 'each once, no leave';
}

const mark = (v) => (v ? 'met' : '**not met**');

/** [bar, measured, verdict] rows of the presence scenario. */
export function presenceBars(entries = []) {
  const out = [];
  const on = entries.find(
    (e) => e.part === 'fanout' && e.target === PRESENCE && ok(e),
  );
  const off = entries.find(
    (e) => e.part === 'fanout' && e.target === NR && ok(e),
  );
  if (on && off) {
    const d = on.summary.deliveriesPerSec / off.summary.deliveriesPerSec;
    const c = on.summary.cpuUsPerDelivery / off.summary.cpuUsPerDelivery;
    out.push([
      `presence costs little: fan-out ${int(on.clients)} with presence ≥ 0.95× without (deliveries/s)`,
      `${d.toFixed(3)}× (CPU/delivery ${c.toFixed(2)}×)`,
      mark(d >= 0.95),
    ]);
  }
  for (const e of entries.filter((x) => x.part === 'redis' && ok(x))) {
    const { idle } = e;
    const k = Math.round(idle.intervals);
    // Each instance's timer ticks k times in a window of k intervals (k ± 1 at its edges).
    const each = idle.flushBySource.every((n) => Math.abs(n - k) <= 1);
    out.push([
      `presence refresh: Redis flush calls per interval = instances (${int(e.clients)} identified connections, ${e.instances} instance${e.instances > 1 ? 's' : ''})`,
      `${idle.flushPerInterval.toFixed(2)}/interval (${idle.flushCalls} in ${idle.intervals.toFixed(2)} intervals; all commands ${int(idle.commandsPerInterval)}/interval, see (h))`,
      mark(each && idle.flushBySource.length === e.instances),
    ]);
  }
  const frameSets = entries
    .filter(ok)
    .map((e) => e.joinFrames)
    .filter(Boolean);
  if (frameSets.length) {
    const bad = frameSets.reduce(
      (n, f) =>
        n +
        (f.duplicateJoin ?? 0) +
        (f.foreignJoin ?? 0) +
        (f.unknownLeave ?? 0) +
        (f.leave ?? 0),
      0,
    );
    const idle = entries
      .filter((e) => ok(e) && e.idle)
      .reduce((n, e) => n + e.idle.frames.join + e.idle.frames.leave, 0);
    out.push([
      'presence frames: every subscriber told of each join once, no leave while connected',
      `${bad} wrong frame(s) at the joins, ${idle} in the idle windows`,
      mark(bad === 0 && idle === 0),
    ]);
  }
  return out;
}
