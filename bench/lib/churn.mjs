// The churn scenario (SPEC §8 "Recovery under churn", issue #14): clients at a steady
// push rate, each one's connection dropped at random every few seconds and coming back
// by its own client's reconnect (with its jitter); on one instance, and on two
// instances on Redis behind a loopback balancer with one instance SIGKILLed mid-run.
// Every client must get every seq of the phase exactly once and in order.
import { startBalancer } from './balancer.mjs';
import { startLoadMeter } from './load-meter.mjs';
import { BenchFailure } from './phase.mjs';
import { latencySummary, mergeSorted } from './stats.mjs';

const NR = 'nestjs-realtime';
/** nestjs-realtime runs with its default history (SPEC §7): this many messages per channel. */
const HISTORY_SIZE = 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects `count` clients split across the rig's workers; client i on `bases[i % n]`. */
export async function connectAll(rig, bases, count, concurrency) {
  const share = Math.ceil(count / rig.workers.length);
  const lanes = Math.max(1, Math.ceil(concurrency / rig.workers.length));
  const started = performance.now();
  await Promise.all(
    rig.workers.map((worker, w) =>
      worker.request(
        'connect',
        {
          target: rig.target,
          bases,
          first: w * share,
          count: Math.max(0, Math.min(share, count - w * share)),
          concurrency: lanes,
          channel: 'bench',
        },
        30_000 + count * 30,
      ),
    ),
  );
  rig.clients = count;
  return performance.now() - started;
}

export function mergeReports(reports) {
  const merged = {
    reasons: {},
    samples: [],
    missingSamples: [],
  };
  for (const r of reports) {
    for (const [key, value] of Object.entries(r))
      if (typeof value === 'number') merged[key] = (merged[key] ?? 0) + value;
    for (const [reason, n] of Object.entries(r.reasons))
      merged.reasons[reason] = (merged.reasons[reason] ?? 0) + n;
    merged.samples.push(...r.samples);
    merged.missingSamples.push(...r.missingSamples);
  }
  merged.samples = merged.samples.slice(0, 10);
  merged.missingSamples = merged.missingSamples.slice(0, 10);
  return merged;
}

/** The exactly-once figures of a phase from the workers' merged reports (churn, avalanche). */
export function deliveryFigures(merged, messages) {
  return {
    messages,
    expected: merged.expected,
    delivered: merged.delivered,
    deliveredPercent: (100 * merged.delivered) / merged.expected,
    missing: merged.expected - merged.delivered,
    missingClients: merged.missingClients,
    silentMissing: merged.silentMissing,
    silentClients: merged.silentClients,
    duplicates: merged.duplicates,
    reordered: merged.reordered,
    extra: merged.extra,
    drops: merged.drops,
    // Every client is open when the phase starts: each open during it is a reconnect.
    reconnects: merged.opens,
    closes: merged.closes,
    resumes: merged.resumes,
    recoveredFalse: merged.recoveredFalse,
    reasons: merged.reasons,
    unrecoveredClients: merged.unrecoveredClients,
    noResume: merged.noResume,
    openAtEnd: merged.open,
  };
}

/**
 * What broke the promise, or ''. `strict` (one instance, where the history covers
 * every gap of this scenario): any loss, even one the client was told about
 * (recovered:false). Otherwise (two instances, one SIGKILLed: its clients' reconnect
 * avalanche may outlast the history on 2 cores) only what SPEC §9 never allows: a
 * duplicate, a reordering, a loss nobody was told about, a reconnect without a resume
 * frame; recovered:false is then reported against its bar, not failed.
 */
function breaches(r, strict) {
  const parts = [];
  const missing = r.expected - r.delivered;
  if (strict && missing)
    parts.push(`${missing} missing (${r.missingClients} clients)`);
  else if (r.silentMissing)
    parts.push(
      `${r.silentMissing} missing without recovered:false (${r.silentClients} clients)`,
    );
  for (const key of ['duplicates', 'reordered', 'extra'])
    if (r[key]) parts.push(`${r[key]} ${key}`);
  if (strict && r.recoveredFalse)
    parts.push(
      `${r.recoveredFalse} recovered:false (${JSON.stringify(r.reasons)})`,
    );
  if (r.noResume) parts.push(`${r.noResume} reconnects without a resume frame`);
  if (!parts.length) return '';
  const samples = [...r.samples, ...r.missingSamples].slice(0, 4);
  return parts.join(', ') + (samples.length ? ` — ${samples.join('; ')}` : '');
}

/**
 * One churn run of `rig`. `kill`: the rig has two instances on Redis; clients connect
 * through a balancer, the first instance pushes, the second is SIGKILLed halfway.
 */
async function churnRun(rig, params, { kill, redis, log }) {
  const p = params.churn;
  const messages = Math.round(p.rate * p.seconds);
  const balancer = kill ? await startBalancer(rig.bases) : null;
  const entry = rig.entry;
  try {
    const bases = balancer ? [balancer.base] : rig.bases;
    entry.connectMs = await connectAll(
      rig,
      bases,
      p.clients,
      params.concurrency,
    );
    Object.assign(entry, {
      clients: p.clients,
      rate: p.rate,
      seconds: p.seconds,
      drop: { minMs: p.dropMinMs, maxMs: p.dropMaxMs },
    });
    await Promise.all(
      rig.workers.map((w) =>
        w.request('start', {
          from: 0,
          count: messages,
          minMs: p.dropMinMs,
          maxMs: p.dropMaxMs,
        }),
      ),
    );
    const pusher = rig.servers[0];
    const before = await pusher.request('stats', { reset: true });
    const meter = startLoadMeter(
      [...rig.servers, ...rig.workers, ...(redis ? [redis] : [])].map(
        (child) => child.pid,
      ),
    );
    let killTimer;
    if (kill) {
      killTimer = setTimeout(
        () => {
          meter.sample(rig.servers[1].pid);
          balancer.markDead(1);
          rig.servers[1].kill();
          entry.killedAtMs = (p.seconds * 1000) / 2;
          entry.routedBeforeKill = balancer.routed();
        },
        (p.seconds * 1000) / 2,
      );
    }
    await pusher.request(
      'paced',
      { from: 0, count: messages, rate: p.rate },
      p.seconds * 1000 + 30_000,
    );
    clearTimeout(killTimer);
    await Promise.all(rig.workers.map((w) => w.request('stopDrops')));
    const waits = await Promise.all(
      rig.workers.map((w) =>
        w.request(
          'wait',
          { timeoutMs: p.drainMs, idleMs: p.idleMs },
          p.drainMs + 10_000,
        ),
      ),
    );
    // Late duplicates count too.
    await sleep(500);
    const reports = await Promise.all(
      rig.workers.map((w) => w.request('report', {}, 30_000)),
    );
    const after = await pusher.request('stats');
    const load = meter.end();
    const merged = mergeReports(reports);
    const latency = latencySummary(
      mergeSorted(reports.map((r) => r.latencies)),
    );
    const cpuUs =
      after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
    Object.assign(entry, {
      ...deliveryFigures(merged, messages),
      drain: waits.map((w) => w.reason),
      latency,
      pusherCpuUs: cpuUs,
      pusherEventLoopDelay: after.eventLoopDelay,
      samples: [...merged.samples, ...merged.missingSamples],
      routed: balancer?.routed(),
      history: rig.options.history !== false,
      historySize: rig.target === NR ? HISTORY_SIZE : undefined,
      otherCpuPercent: load.otherCpuPercent,
      kernel: load.kernel,
    });
    log(rig.target, entry);
    // A target's own promise: nestjs-realtime on one instance always; on Redis once
    // its history is wired (it then sends resume frames). Socket.IO's losses are findings.
    const promised = rig.target === NR && (!kill || entry.resumes > 0);
    const broken = breaches(merged, !kill);
    if (promised && broken) throw new BenchFailure(`churn: ${broken}`);
  } finally {
    await Promise.all(
      rig.workers.map((w) => w.request('close', {}, 10_000).catch(() => {})),
    );
    await balancer?.stop();
  }
}

/** One instance per target (socket.io with connection state recovery, nestjs-realtime). */
export async function churnOneInstance(group, params, { log }) {
  await group.each((rig) => churnRun(rig, params, { kill: false, log }), {
    rotate: true,
  });
}

/** nestjs-realtime on two instances on Redis, one SIGKILLed halfway. */
export async function churnTwoInstances(group, params, { redis, log }) {
  await group.each((rig) => churnRun(rig, params, { kill: true, redis, log }));
}

/** The log line of a churn run. */
export function churnLine(target, e) {
  const reasons = Object.entries(e.reasons ?? {})
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return (
    `  ${target}${e.instances === 2 ? ' (2 instances on Redis, #1 SIGKILLed)' : ''}: ` +
    `${e.clients} clients, ${e.drops} drops, ${e.reconnects} reconnects, ` +
    `delivered ${e.delivered} of ${e.expected} (${e.deliveredPercent.toFixed(3)}%; untold missing ${e.silentMissing}), ` +
    `${e.duplicates} duplicates, ${e.reordered} reordered, ` +
    `recovered:false ${e.recoveredFalse}${reasons ? ` (${reasons})` : ''}, ` +
    `no resume frame ${e.noResume} (${e.unrecoveredClients} clients), p99 delay ${e.latency.p99.toFixed(1)} ms, ` +
    `max ${e.latency.max.toFixed(1)} ms; drain ${e.drain.join('/')}` +
    (e.missing ? `; e.g. ${e.samples.slice(0, 2).join('; ')}` : '')
  );
}
