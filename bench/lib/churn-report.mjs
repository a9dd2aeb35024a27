// The churn scenario's part of the markdown report: its table, notes and SPEC §8 bars.
import { int, num, table } from './markdown.mjs';

const NR = 'nestjs-realtime';
const SETUP = {
  'socket.io': 'socket.io (connection state recovery, 1 instance)',
  [NR]: 'nestjs-realtime (1 instance)',
  [`${NR}/2`]: 'nestjs-realtime (2 instances on Redis, one SIGKILLed)',
};

const labelOf = (e) =>
  SETUP[e.instances === 2 ? `${e.target}/2` : e.target] ?? e.target;
const measured = (e) => !e.na && Number.isFinite(e.expected);

/** Floored, so that 99.9996% never shows as 100. */
function percent(e) {
  if (e.delivered === e.expected) return '100';
  return (Math.floor((100_000 * e.delivered) / e.expected) / 1000).toFixed(3);
}

/** recovered:false resumes, plus (nestjs-realtime) reconnects that got no resume frame at all. */
const notRecovered = (e) => e.recoveredFalse + e.noResume;

function notRecoveredCell(e) {
  const parts = Object.entries(e.reasons).map(([k, n]) => `${k} ${int(n)}`);
  if (e.noResume) parts.push(`no resume frame ${int(e.noResume)}`);
  return `${int(notRecovered(e))}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

export function churnTable(entries) {
  const header = [
    'target',
    'clients',
    'drops',
    'reconnects',
    'delivered %',
    'missing',
    'duplicates',
    'reordered',
    'recovered:false',
    'p99 delay ms',
    'max delay ms',
  ];
  const blank = (text) => [text, ...Array(header.length - 2).fill('')];
  const rows = entries.map((e) => {
    if (e.na) return [e.target, ...blank(`n/a (${e.na})`)];
    if (!measured(e))
      return [
        labelOf(e),
        ...blank(`FAILED: ${(e.failed ?? '?').split('\n')[0].slice(0, 160)}`),
      ];
    return [
      `${labelOf(e)}${e.failed ? ' — **FAILED**' : ''}`,
      int(e.clients),
      int(e.drops),
      int(e.reconnects),
      percent(e),
      e.missing ? `${int(e.missing)} (untold ${int(e.silentMissing)})` : '0',
      int(e.duplicates),
      int(e.reordered),
      notRecoveredCell(e),
      num(e.latency.p99, 1),
      num(e.latency.max, 1),
    ];
  });
  const notes = [];
  const any = entries.find(measured);
  if (any)
    notes.push(
      `${int(any.rate)} msg/s for ${int(any.seconds)} s (${int(any.messages)} messages to every client); each connection dropped (its TCP socket destroyed by the client side) at a uniform ${num(any.drop.minMs / 1000, 0)}–${num(any.drop.maxMs / 1000, 0)} s after it opened, the client reconnecting by its own backoff. Delay = receipt − push time, time spent disconnected included. Plain ws has no recovery and is left out.`,
    );
  const nr = entries.find((e) => measured(e) && e.historySize);
  if (nr)
    notes.push(
      `nestjs-realtime keeps its default history, ${int(nr.historySize)} messages per channel: ${num(nr.historySize / nr.rate, 1)} s at this rate; a client away longer is told recovered:false ("limit"). "Untold": missing on clients that no recovered:false resume told about.`,
    );
  const redis = entries.find((e) => measured(e) && e.instances === 2);
  if (redis) {
    const routed = redis.routedBeforeKill?.map(int).join(' / ') ?? '?';
    notes.push(
      `Two instances: clients connect through a loopback balancer (connections routed before the kill: ${routed}); instance #0 pushes, #1 is SIGKILLed at ${num((redis.killedAtMs ?? NaN) / 1000, 1)} s and its clients reconnect to #0.`,
    );
    if (redis.resumes === 0 && !redis.history)
      notes.push(
        'With `--history=off` no instance sends resume frames: nothing is replayed after a reconnect, every reconnect counts as recovered:false ("no resume frame") and what was pushed while a client was away is missing.',
      );
    else if (redis.resumes === 0)
      notes.push(
        '**Redis history is not wired yet:** the instances on Redis sent no resume frame (the app logs REDIS_HISTORY_PENDING and runs as `history: false`), so nothing is replayed after a reconnect: every reconnect counts as recovered:false ("no resume frame") and what was pushed while a client was away is missing. This row is reported, not failed, until the Redis registry keeps history; from then on it fails the run like the 1-instance row.',
      );
  }
  return {
    title:
      '(g) Churn: connections dropped at random every few seconds, steady pushes, clients reconnecting by themselves',
    text: [table(header, rows), ...notes].join('\n\n'),
  };
}

const mark = (ok) => (ok ? 'met' : '**not met**');

/** SPEC §8 "Recovery under churn" for nestjs-realtime: [bar, measured, verdict]. */
export function churnBars(entries) {
  return (entries ?? [])
    .filter((e) => e.target === NR && measured(e))
    .map((e) => [
      `recovery under churn, ${e.instances === 2 ? '2 instances on Redis, one SIGKILLed' : '1 instance'}: 100% exactly once, 0 recovered:false`,
      `${percent(e)}% delivered, ${int(e.duplicates)} duplicates, ${int(e.reordered)} reordered, ${int(notRecovered(e))} recovered:false`,
      mark(
        e.delivered === e.expected &&
          e.duplicates === 0 &&
          e.reordered === 0 &&
          e.extra === 0 &&
          notRecovered(e) === 0,
      ),
    ]);
}
