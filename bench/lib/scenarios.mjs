// The scenarios (a)–(e) of issue 7; (f), server CPU per delivery, is in every phase.
// Each gets a started Group (one rig per target) and fills each rig's `entry`.
import { BenchFailure, checkQuiet, runPhase } from './phase.mjs';
import { latencySummary, median, mergeSorted } from './stats.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connect timeout: generous, the watchdog is the real bound. */
export const connectTimeout = (n) => 30_000 + n * 20;
/** Phase timeout: time to push plus time to drain a backlog. */
const phaseTimeout = (deliveries, pushMs = 0) =>
  20_000 + pushMs * 2 + deliveries / 20;

function summarize(rounds) {
  return {
    deliveriesPerSec: median(rounds.map((r) => r.deliveriesPerSec)),
    p50: median(rounds.map((r) => r.latency.p50)),
    p99: median(rounds.map((r) => r.latency.p99)),
    max: Math.max(...rounds.map((r) => r.latency.max)),
    cpuUsPerDelivery: median(rounds.map((r) => r.cpuUsPerDelivery)),
    loadgenCpuUsPerDelivery: median(
      rounds.map((r) => r.loadgenCpuUsPerDelivery),
    ),
    redisCpuUsPerDelivery: median(rounds.map((r) => r.redisCpuUsPerDelivery)),
    otherCpuPercent: Math.max(...rounds.map((r) => r.otherCpuPercent)),
  };
}

/**
 * Connects every rig's clients and makes a short warm-up burst (JIT, buffers);
 * `afterConnect(rig)` runs between the two (the presence scenario waits there for the
 * join frames to be delivered).
 */
export async function prepare(group, clients, params, redis, afterConnect) {
  await group.each(async (rig) => {
    const connect = await rig.connect(
      clients,
      params.concurrency,
      connectTimeout(clients),
    );
    Object.assign(rig.entry, { clients, connectMs: connect.ms, rounds: [] });
    await afterConnect?.(rig);
    rig.seq = { next: 0 };
    await runPhase(rig, rig.seq, {
      mode: 'burst',
      count: params.warmup,
      timeoutMs: phaseTimeout(params.warmup * clients),
      redis,
    });
  });
}

/**
 * Interleaved rounds of bursts: every target once per round, in a rotated order.
 * `awaited`: each push waits until the one before returned (see harness `burst`); its
 * rounds and summary go to `awaitedRounds` and `awaitedSummary`.
 */
export async function burstRounds(
  group,
  { messages, rounds, batch },
  redis,
  log,
  { awaited = false } = {},
) {
  const [roundsKey, summaryKey] = awaited
    ? ['awaitedRounds', 'awaitedSummary']
    : ['rounds', 'summary'];
  for (let r = 0; r < rounds; r++) {
    await group.each(
      async (rig) => {
        const result = await runPhase(rig, rig.seq, {
          mode: 'burst',
          count: messages,
          batch,
          awaited,
          timeoutMs: phaseTimeout(messages * rig.clients),
          redis,
        });
        log(rig.target, result);
        (rig.entry[roundsKey] ??= []).push(result);
      },
      { rotate: true },
    );
  }
  await group.each(async (rig) => {
    await checkQuiet(rig);
    rig.entry[summaryKey] = summarize(rig.entry[roundsKey]);
  });
}

/** (a) N clients on one channel, M messages as fast as the server pushes them. */
export async function burst(group, params, { clients, log, profiles = {} }) {
  await prepare(group, clients, params);
  const profiled = group.live().filter((rig) => profiles[rig.target]);
  for (const rig of profiled) await rig.servers[0].request('profileStart');
  await burstRounds(group, params.burst, undefined, log);
  for (const rig of profiled)
    if (!rig.entry.failed)
      await rig.servers[0].request('profileStop', {
        file: profiles[rig.target],
      });
}

/** (b) Stepwise publish rates at 1,000 clients; a target stops at its first step with p99 ≥ the limit. */
export async function steady(group, params, { log }) {
  const { clients, rates, stepMs, p99LimitMs } = params.steady;
  await prepare(group, clients, params);
  for (const rig of group.rigs) rig.entry.steps = [];
  for (const rate of rates) {
    const count = Math.round((rate * stepMs) / 1000);
    await group.each(
      async (rig) => {
        const steps = rig.entry.steps;
        if (steps.length && !steps[steps.length - 1].pass) return;
        const run = async () => {
          const step = await runPhase(rig, rig.seq, {
            mode: 'paced',
            count,
            rate,
            timeoutMs: phaseTimeout(count * clients, stepMs),
          });
          step.pass = step.latency.p99 < p99LimitMs;
          log(rig.target, step);
          return step;
        };
        let step = await run();
        // The machine is shared: a step that failed narrowly (p99 under twice the
        // limit) gets one more try before it counts.
        if (!step.pass && step.latency.p99 < 2 * p99LimitMs) {
          const retry = await run();
          retry.firstTry = step;
          step = retry;
        }
        steps.push(step);
      },
      { rotate: true },
    );
  }
  await group.each(async (rig) => {
    const best = rig.entry.steps.filter((s) => s.pass).pop();
    Object.assign(rig.entry, {
      bestRate: best?.rate ?? 0,
      p99AtBest: best?.latency.p99 ?? NaN,
      cpuUsPerDeliveryAtBest: best?.cpuUsPerDelivery ?? NaN,
    });
    delete rig.entry.rounds;
  });
  await commonRate(group, params.steady, log);
  await group.each((rig) => checkQuiet(rig));
}

/**
 * The p99 of every target at one rate, measured again for longer (interleaved rounds):
 * at 1,000 clients every message is 1,000 samples, so a short step's p99 is decided by
 * its one or two slowest messages. The rate is one step below the highest rate every
 * target passed (that one is at the edge of saturation, where p99 swings by hundreds
 * of ms between rounds), or the lowest step when a target passed none.
 */
async function commonRate(
  group,
  { clients, rates, commonMs, commonRounds },
  log,
) {
  const live = group.live();
  if (live.length === 0) return;
  const passed = Math.min(...live.map((rig) => rig.entry.bestRate));
  const rate = rates[Math.max(0, rates.indexOf(passed) - 1)];
  const count = Math.round((rate * commonMs) / 1000);
  for (const rig of live) rig.entry.common = { rate, rounds: [] };
  for (let r = 0; r < commonRounds; r++) {
    await group.each(
      async (rig) => {
        const round = await runPhase(rig, rig.seq, {
          mode: 'paced',
          count,
          rate,
          timeoutMs: phaseTimeout(count * clients, commonMs),
        });
        log(rig.target, round);
        rig.entry.common.rounds.push(round);
      },
      { rotate: true },
    );
  }
  await group.each(async (rig) => {
    const rounds = rig.entry.common.rounds;
    Object.assign(rig.entry.common, {
      p50: median(rounds.map((x) => x.latency.p50)),
      p99: median(rounds.map((x) => x.latency.p99)),
      max: Math.max(...rounds.map((x) => x.latency.max)),
      cpuUsPerDelivery: median(rounds.map((x) => x.cpuUsPerDelivery)),
    });
  });
}

/** (c) Server RSS growth per idle connection (after a warm-up and forced GCs), one target at a time. */
export async function memory(group, params, { clients }) {
  const { warmupClients } = params.memory;
  await group.each(async (rig) => {
    const seq = { next: 0 };
    await rig.connect(
      warmupClients,
      params.concurrency,
      connectTimeout(warmupClients),
    );
    await runPhase(rig, seq, {
      mode: 'burst',
      count: params.warmup,
      timeoutMs: phaseTimeout(params.warmup * warmupClients),
    });
    await rig.closeClients();
    await sleep(500);
    const [before] = await rig.gc();
    // Two halves: the slope over the second half leaves out one-time growth (heap
    // spaces sized up by the first connections' garbage).
    const half = Math.floor(clients / 2);
    await rig.connect(half, params.concurrency, connectTimeout(half));
    await sleep(500);
    const [mid] = await rig.gc();
    await rig.connect(
      clients - half,
      params.concurrency,
      connectTimeout(clients - half),
    );
    await sleep(1000);
    // What an operator sees: RSS before any forced GC (the page renders' garbage
    // included), then what is retained.
    const [seen] = await rig.stats();
    const [after] = await rig.gc();
    const [stats] = await rig.stats();
    await checkQuiet(rig);
    await rig.closeClients();
    const heap = (m) => m.heapUsed + m.external;
    Object.assign(rig.entry, {
      clients,
      serverConnections: stats.connections,
      gc: after.gc,
      rssBefore: before.memory.rss,
      rssMid: mid.memory.rss,
      rssAfter: after.memory.rss,
      rssPerConnection: (after.memory.rss - before.memory.rss) / clients,
      rssNoGcPerConnection: (seen.memory.rss - before.memory.rss) / clients,
      rssMarginalPerConnection:
        (after.memory.rss - mid.memory.rss) / (clients - half),
      heapPerConnection: (heap(after.memory) - heap(before.memory)) / clients,
      memoryBefore: before.memory,
      memoryAfter: after.memory,
    });
  });
}

/** (d) Connections per second, `concurrency` at a time (nestjs-realtime: page render + upgrade). */
export async function connect(group, params) {
  const { clients, warmupClients } = params.connect;
  await group.each(async (rig) => {
    await rig.connect(
      warmupClients,
      params.concurrency,
      connectTimeout(warmupClients),
    );
    await rig.closeClients();
    await sleep(300);
    const [before] = await rig.stats();
    const result = await rig.connect(
      clients,
      params.concurrency,
      connectTimeout(clients),
    );
    const [after] = await rig.stats();
    Object.assign(rig.entry, {
      clients,
      concurrency: params.concurrency,
      ...connectFigures(result, clients, before, after),
    });
    // The reconnect: the same clients close and come back with their views' ids
    // (nestjs-realtime, within reconnectGrace, no page render; the others: a handshake).
    await rig.closeClients({ keep: true });
    await awaitConnections(rig, 0);
    await sleep(300);
    const [beforeAgain] = await rig.stats();
    const again = await rig.reconnect(
      params.concurrency,
      connectTimeout(clients),
    );
    const [afterAgain] = await rig.stats();
    await rig.closeClients();
    rig.entry.reconnect = connectFigures(
      again,
      again.count,
      beforeAgain,
      afterAgain,
    );
  });
}

/** Rate, server CPU per connection and latency of one connect phase. */
function connectFigures(result, count, before, after) {
  const cpu =
    after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  return {
    ms: result.ms,
    perSec: count / (result.ms / 1000),
    cpuUsPerConnection: cpu / count,
    latency: latencySummary(mergeSorted(result.times)),
  };
}

/** Waits (at most 10 s) until the rig's servers count `n` connections in all. */
async function awaitConnections(rig, n) {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const stats = await rig.stats();
    const total = stats.reduce((sum, s) => sum + s.connections, 0);
    if (total === n) return;
    if (performance.now() > deadline)
      throw new BenchFailure(
        `the server still counts ${total} connections 10 s after the clients closed (expected ${n})`,
      );
    await sleep(100);
  }
}

/** (e) Two instances on one Redis, clients split across them, pushes from the first. */
export async function redis(group, params, { redisServer, log }) {
  const { clients } = params.redis;
  await prepare(group, clients, params, redisServer);
  for (const rig of group.rigs) rig.entry.instances = rig.servers.length;
  await burstRounds(group, params.redis, redisServer, log);
  // The same bursts from a loop that awaits each push (`await realtime.push()`): a
  // nestjs-realtime push resolves once Redis stamped it and this instance delivered
  // it, so the loop is paced as Socket.IO's synchronous emit paces its own.
  await burstRounds(group, params.redis, redisServer, log, { awaited: true });
  // A burst measures throughput; latency is also read at a steady rate below saturation.
  const { rate, rateMs } = params.redis;
  const count = Math.round((rate * rateMs) / 1000);
  await group.each(
    async (rig) => {
      const step = await runPhase(rig, rig.seq, {
        mode: 'paced',
        count,
        rate,
        timeoutMs: phaseTimeout(count * clients, rateMs),
        redis: redisServer,
      });
      log(rig.target, step);
      rig.entry.steady = step;
    },
    { rotate: true },
  );
  await group.each((rig) => checkQuiet(rig));
}
