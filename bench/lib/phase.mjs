// One measured phase: the workers expect seqs [from, from + count), the server pushes
// them (burst or steady rate), every client must receive each exactly once and in
// order. Returns throughput, latency and server CPU; throws BenchFailure on any loss,
// duplicate or reordering.
import {
  CORES,
  hostBusyMicros,
  kernelNetCounters,
  netdevMaxBacklog,
} from './host-load.mjs';
import { cpuMicros, cpuSplit, latencySummary, mergeSorted } from './stats.mjs';

export class BenchFailure extends Error {}

const sum = (values) => values.reduce((a, b) => a + b, 0);

function mergeErrors(list) {
  const merged = {
    duplicate: 0,
    gap: 0,
    extra: 0,
    closed: 0,
    malformed: 0,
    total: 0,
    samples: [],
  };
  for (const e of list) {
    for (const key of Object.keys(merged))
      if (key !== 'samples') merged[key] += e[key];
    merged.samples.push(...e.samples);
  }
  merged.samples = merged.samples.slice(0, 10);
  return merged;
}

/** Deliveries still owed or wrongly made, as a message naming the numbers. */
function describe(delivered, expected, errors, missing, publishErrors) {
  const parts = [`${delivered} of ${expected} deliveries`];
  for (const key of ['duplicate', 'gap', 'extra', 'closed', 'malformed'])
    if (errors[key]) parts.push(`${errors[key]} ${key}`);
  if (publishErrors) parts.push(`${publishErrors} failed pushes`);
  const samples = [...errors.samples, ...missing].slice(0, 6);
  return parts.join(', ') + (samples.length ? ` — ${samples.join('; ')}` : '');
}

/**
 * `seq` is the rig's running counter (`{ next }`); `redis` (optional) adds the
 * redis-server's CPU. The server that pushes is the rig's first.
 */
export async function runPhase(
  rig,
  seq,
  { mode, count, rate, batch = 1, awaited = false, timeoutMs, redis },
) {
  const from = seq.next;
  seq.next += count;
  await Promise.all(
    rig.workers.map((w) => w.request('expect', { from, count })),
  );
  const before = await rig.stats(true);
  const redisBefore = redis?.cpuMicros();
  const hostBefore = hostBusyMicros();
  const netBefore = kernelNetCounters();
  const wallBefore = performance.now();
  const pushed = await rig.servers[0].request(
    mode,
    { from, count, rate, batch, awaited },
    timeoutMs,
  );
  const waits = await Promise.all(
    rig.workers.map((w) =>
      w.request('wait', { timeoutMs }, timeoutMs + 10_000),
    ),
  );
  const after = await rig.stats();
  const redisAfter = redis?.cpuMicros();
  const hostBusy = hostBusyMicros() - hostBefore;
  const netAfter = kernelNetCounters();
  const kernel = Object.fromEntries(
    Object.keys(netAfter).map((k) => [k, netAfter[k] - netBefore[k]]),
  );
  const wallUs = (performance.now() - wallBefore) * 1000;

  const expected = sum(waits.map((w) => w.expected));
  const delivered = sum(waits.map((w) => w.delivered));
  const errors = mergeErrors(waits.map((w) => w.errors));
  const publishErrors =
    sum(after.map((s) => s.publishErrors)) -
    sum(before.map((s) => s.publishErrors));
  const complete = waits.every((w) => w.complete);
  if (
    !complete ||
    errors.total > 0 ||
    publishErrors > 0 ||
    delivered !== expected
  ) {
    const lastError = after.find((s) => s.lastPublishError)?.lastPublishError;
    const kernelNote =
      kernel.softnetDrops || kernel.abortOnTimeout
        ? ` [meanwhile the kernel dropped ${kernel.softnetDrops} loopback packets (net.core.netdev_max_backlog = ${netdevMaxBacklog()}), retransmitted ${kernel.retransSegs} segments and aborted ${kernel.abortOnTimeout} connections on timeout: see bench/README.md]`
        : '';
    throw new BenchFailure(
      `${mode} of ${count} messages: ` +
        describe(
          delivered,
          expected,
          errors,
          waits.flatMap((w) => w.missing),
          publishErrors,
        ) +
        (lastError ? ` (push error: ${lastError})` : '') +
        kernelNote,
    );
  }
  const sorted = mergeSorted(waits.map((w) => w.latencies));
  const lastRecv = Math.max(...waits.map((w) => w.lastRecv));
  const durationMs = lastRecv - pushed.firstT;
  const cpu = cpuMicros(before, after);
  const loadgenCpu = sum(waits.map((w) => w.cpuUs));
  const own = cpu + loadgenCpu + (redis ? redisAfter - redisBefore : 0);
  const result = {
    mode,
    ...(awaited ? { awaited } : {}),
    from,
    count,
    rate,
    clients: rig.clients,
    expected,
    delivered,
    pushMs: pushed.lastT - pushed.firstT,
    durationMs,
    deliveriesPerSec: delivered / (durationMs / 1000),
    latency: latencySummary(sorted),
    cpuUs: cpu,
    cpu: cpuSplit(before, after),
    cpuUsPerDelivery: cpu / delivered,
    loadgenCpuUsPerDelivery: loadgenCpu / delivered,
    // The server that pushed: its event-loop delay and GC pauses during the phase.
    eventLoopDelay: after[0].eventLoopDelay,
    gc: after[0].gc,
    // CPU that other processes of the machine used meanwhile, in % of all cores.
    otherCpuPercent: Math.max(0, (100 * (hostBusy - own)) / (wallUs * CORES)),
    // Machine-wide loopback packet drops, TCP retransmissions and timeout aborts.
    kernel,
  };
  if (redis) {
    result.redisCpuUs = redisAfter - redisBefore;
    result.redisCpuUsPerDelivery = result.redisCpuUs / delivered;
  }
  return result;
}

/** After a scenario: late duplicates or closes show up here. */
export async function checkQuiet(rig) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const checks = await Promise.all(rig.workers.map((w) => w.request('check')));
  const errors = mergeErrors(checks.map((c) => c.errors));
  if (errors.total > 0)
    throw new BenchFailure(
      `after the last phase: ${describe(0, 0, errors, [], 0)}`,
    );
}
