// The avalanche scenario (SPEC §8 "Connects", issue #16): every client of N, each the
// project's browser client (as in the churn scenario), has its connection dropped at
// the same moment while pushes flow at a steady rate; each reconnects by itself with
// its own backoff and full jitter and resumes from its positions. Measured: how long
// until every client has every message pushed so far (time back to 100% delivery),
// how long until every one is open again, and the exactly-once check of every seq.
import { connectAll, deliveryFigures, mergeReports } from './churn.mjs';
import { startLoadMeter } from './load-meter.mjs';
import { BenchFailure } from './phase.mjs';
import { latencySummary, mergeSorted } from './stats.mjs';

/** The bar: every client back to 100% delivery within this long of the drop. */
export const AVALANCHE_BAR_MS = 10_000;

/** One avalanche run of `rig` (nestjs-realtime, one instance, memory registry). */
export async function avalancheRun(rig, params, { log }) {
  const p = params.avalanche;
  const messages = Math.round(p.rate * p.seconds);
  const entry = rig.entry;
  try {
    entry.connectMs = await connectAll(
      rig,
      rig.bases,
      p.clients,
      params.concurrency,
    );
    Object.assign(entry, {
      clients: p.clients,
      rate: p.rate,
      seconds: p.seconds,
      dropAtMs: p.dropAtMs,
    });
    // No random drops: one drop of every client, below.
    await Promise.all(
      rig.workers.map((w) =>
        w.request('start', { from: 0, count: messages, dropping: false }),
      ),
    );
    const pusher = rig.servers[0];
    const before = await pusher.request('stats', { reset: true });
    const meter = startLoadMeter(
      [...rig.servers, ...rig.workers].map((child) => child.pid),
    );
    let dropped;
    const dropTimer = setTimeout(() => {
      dropped = Promise.all(rig.workers.map((w) => w.request('dropAll')));
    }, p.dropAtMs);
    await pusher.request(
      'paced',
      { from: 0, count: messages, rate: p.rate },
      p.seconds * 1000 + 30_000,
    );
    clearTimeout(dropTimer);
    if (!dropped)
      throw new BenchFailure(
        'avalanche: the pushes ended before the drop (raise seconds)',
      );
    await dropped;
    const waits = await Promise.all(
      rig.workers.map((w) =>
        w.request(
          'wait',
          { timeoutMs: p.drainMs, idleMs: p.idleMs },
          p.drainMs + 10_000,
        ),
      ),
    );
    const reports = await Promise.all(
      rig.workers.map((w) => w.request('report', {}, 30_000)),
    );
    const after = await pusher.request('stats');
    const load = meter.end();
    const merged = mergeReports(reports);
    const back = mergeSorted(reports.map((r) => r.avalanche.backMs));
    const reopened = mergeSorted(reports.map((r) => r.avalanche.reopenMs));
    const notBack = reports.reduce((n, r) => n + r.avalanche.notBack, 0);
    Object.assign(entry, {
      ...deliveryFigures(merged, messages),
      drain: waits.map((w) => w.reason),
      // Per client, from the drop: its first open again, and the moment it had every
      // seq pushed so far (its replay done, live again).
      reopen: reopened.length ? latencySummary(reopened) : null,
      back: back.length ? latencySummary(back) : null,
      notBack,
      latency: latencySummary(mergeSorted(reports.map((r) => r.latencies))),
      serverCpuUs:
        after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system,
      serverEventLoopDelay: after.eventLoopDelay,
      samples: [...merged.samples, ...merged.missingSamples],
      otherCpuPercent: load.otherCpuPercent,
      kernel: load.kernel,
    });
    log(rig.target, entry);
    // What SPEC §9 never allows fails the run; a loss the client was told of
    // (recovered:false, `limit` when it stayed away longer than the history covers)
    // is measured against the bar instead.
    const broken = [
      merged.silentMissing &&
        `${merged.silentMissing} missing without recovered:false`,
      entry.duplicates && `${entry.duplicates} duplicates`,
      entry.reordered && `${entry.reordered} reordered`,
      entry.extra && `${entry.extra} extra`,
      entry.noResume && `${entry.noResume} reconnects without a resume frame`,
    ].filter(Boolean);
    if (broken.length)
      throw new BenchFailure(
        `avalanche: ${broken.join(', ')} — ${entry.samples.slice(0, 3).join('; ')}`,
      );
  } finally {
    await Promise.all(
      rig.workers.map((w) => w.request('close', {}, 10_000).catch(() => {})),
    );
  }
}

/** The log line of an avalanche run. */
export function avalancheLine(target, e) {
  const ms = (x) => (x === undefined ? '–' : `${Math.round(x)} ms`);
  return (
    `  ${target}: ${e.clients} clients dropped at once at ${e.dropAtMs} ms, ${e.reconnects} reconnects; ` +
    `open again p50 ${ms(e.reopen?.p50)}, max ${ms(e.reopen?.max)}; back to 100% p50 ${ms(e.back?.p50)}, p99 ${ms(e.back?.p99)}, max ${ms(e.back?.max)} (${e.notBack} never); ` +
    `delivered ${e.delivered} of ${e.expected} (${e.deliveredPercent.toFixed(3)}%), ${e.duplicates} duplicates, ${e.reordered} reordered, ` +
    `recovered:false ${e.recoveredFalse}; drain ${e.drain.join('/')}`
  );
}
