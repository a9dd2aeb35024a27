// `npm run bench [-- --quick]`: runs every scenario against every target, each in
// fresh processes (servers + load-generator workers), writes bench/results/<ts>.json,
// prints a markdown report and draws docs/bench.svg. Exits non-zero when any message
// was lost, duplicated or reordered, or a scenario failed or timed out.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeChart } from './chart.mjs';
import { summarizeProfile } from './cpuprofile-summary.mjs';
import {
  NOHISTORY,
  NOHISTORY_SCENARIOS,
  parseArgs,
  PRESENCE,
  USAGE,
} from './lib/config.mjs';
import { killAllChildren } from './lib/ipc.mjs';
import { machineInfo } from './lib/machine.mjs';
import { Group } from './lib/group.mjs';
import {
  churnLine,
  churnOneInstance,
  churnTwoInstances,
} from './lib/churn.mjs';
import { avalancheLine, avalancheRun } from './lib/avalanche.mjs';
import {
  presenceFanout,
  presenceLine,
  presenceRedis,
  REDIS_PATTERN,
} from './lib/presence.mjs';
import { redisServerVersion, startRedis } from './lib/redis.mjs';
import { renderMarkdown } from './lib/report.mjs';
import * as scenarios from './lib/scenarios.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);

/** Bounds: one scenario for one target, and the whole run. */
const SCENARIO_DEADLINE = { quick: 90_000, full: 360_000 };
const RUN_DEADLINE = { quick: 8 * 60_000, full: 45 * 60_000 };

let redisServer;
/** Nothing outlives the run: load generators, servers, redis-server. */
function killEverything() {
  killAllChildren();
  redisServer?.kill();
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs,
    );
  }
  return newest;
}

function checkBuild() {
  const entry = join(ROOT, 'dist', 'index.js');
  if (!existsSync(entry)) {
    console.error(
      'bench: dist/ is missing. The nestjs-realtime target loads the built package: run `npm run build` first.',
    );
    process.exit(1);
  }
  const stale = newestMtime(join(ROOT, 'src')) > statSync(entry).mtimeMs;
  if (stale)
    console.warn(
      'bench: WARNING: src/ is newer than dist/: run `npm run build` to bench the current source.\n',
    );
  return stale;
}

const fmt = (n, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: d })
    : '–';

function phaseLogger(label) {
  return (r) =>
    console.log(
      `  ${label} ${r.mode}${r.rate ? ` ${r.rate} msg/s` : ''}: ${fmt(r.delivered)} deliveries, ` +
        `${fmt(r.deliveriesPerSec)}/s, p50 ${fmt(r.latency.p50, 2)} ms, p99 ${fmt(r.latency.p99, 2)} ms, ` +
        `push ${fmt(r.pushMs)} ms of ${fmt(r.durationMs)} ms, server CPU ${fmt(r.cpuUsPerDelivery, 2)} µs/delivery (load generator ${fmt(r.loadgenCpuUsPerDelivery, 2)}; other processes ${fmt(r.otherCpuPercent)}% CPU; server loop delay max ${fmt(r.eventLoopDelay.maxMs, 1)} ms, GC ${r.gc.count}× max ${fmt(r.gc.maxMs, 1)} ms)${r.pass === false ? '  (p99 over the limit: last step)' : ''}`,
    );
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error.message}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const distStale = checkBuild();
  const mode = options.quick ? 'quick' : 'full';
  const started = Date.now();
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const results = {
    version: 1,
    mode,
    startedAt: new Date(started).toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: machineInfo(ROOT),
    distStale,
    params: options.params,
    options: {
      targets: options.targets,
      scenarios: options.scenarios,
      client: options.client,
      workers: options.params.workers,
      profile: options.profile,
      history: options.history !== false,
    },
    scenarios: {},
    skipped: [],
    failures: [],
    profiles: [],
    timings: [],
  };
  const runTimer = setTimeout(() => {
    console.error(
      `bench: the whole run exceeded ${RUN_DEADLINE[mode] / 1000} s: killing every child and failing.`,
    );
    killEverything();
    process.exit(1);
  }, RUN_DEADLINE[mode]);
  runTimer.unref();

  const onFailure = (failure) => {
    results.failures.push(failure);
    console.error(
      `\n!!! FAILED ${failure.scenario} / ${failure.target}${failure.label ? ` / ${failure.label}` : ''}: ${failure.message}\n`,
    );
  };
  /** One scenario with one rig per target, under a watchdog that kills them all. */
  const measure = async (scenario, label, targets, startFor, fn, base = {}) => {
    console.log(
      `${scenario}${label ? ` / ${label}` : ''}: ${targets.join(', ')}`,
    );
    const group = new Group(scenario, label, options, onFailure);
    group.base = base;
    const deadline = SCENARIO_DEADLINE[mode] * targets.length;
    const timer = setTimeout(() => group.kill(), deadline);
    const started = performance.now();
    try {
      await group.start(targets, startFor);
      await fn(group);
    } finally {
      clearTimeout(timer);
      await group.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    results.timings.push({ scenario, label, seconds });
    console.log(`  (${seconds.toFixed(1)} s)`);
    (results.scenarios[scenario] ??= []).push(...group.entries);
  };
  const log = (label) => (target, r) => phaseLogger(`${target}${label}`)(r);

  /** The churn scenario: one instance per target, then nestjs-realtime on two on Redis. */
  const runChurn = async (targets) => {
    const churnLog = (target, entry) => console.log(churnLine(target, entry));
    const churn = (results.scenarios.churn ??= []);
    if (targets.includes('ws'))
      churn.push({ target: 'ws', na: 'plain ws has no recovery' });
    const one = targets.filter((t) => t !== 'ws');
    if (one.length)
      await measure(
        'churn',
        '1 instance',
        one,
        (target) => ({
          worker: 'churn-client.mjs',
          recovery: target === 'socket.io',
        }),
        (group) => churnOneInstance(group, options.params, { log: churnLog }),
        { instances: 1 },
      );
    if (!targets.includes('nestjs-realtime')) return;
    if (!redisServerVersion()) {
      const why =
        'redis-server is not installed (apt-get install redis-server): the churn scenario on 2 instances was SKIPPED';
      console.error(`\n${'!'.repeat(78)}\n!!! ${why}\n${'!'.repeat(78)}\n`);
      results.skipped.push(why);
      return;
    }
    redisServer ??= await startRedis();
    await redisServer.flush();
    await measure(
      'churn',
      '2 instances on Redis, one SIGKILLed',
      ['nestjs-realtime'],
      () => ({
        instances: 2,
        redis: redisServer.url,
        worker: 'churn-client.mjs',
      }),
      (group) =>
        churnTwoInstances(group, options.params, {
          redis: redisServer,
          log: churnLog,
        }),
      { instances: 2 },
    );
  };

  /**
   * The presence scenario (h): fan-out with and without presence (memory registry,
   * interleaved bursts), then presence's Redis commands on 1 and 2 instances.
   */
  const runPresence = async () => {
    const p = options.params.presence;
    const pair = ['nestjs-realtime', PRESENCE].filter((t) =>
      options.targets.includes(t),
    );
    // The comparison needs both; `--targets=nestjs-realtime-presence` runs the Redis part alone.
    if (pair.length === 2)
      await measure(
        'presence',
        `fan-out ${p.fanout.clients} clients`,
        pair,
        () => ({}),
        (group) =>
          presenceFanout(group, options.params, {
            log: log(` ${p.fanout.clients}`),
          }),
        { part: 'fanout', clients: p.fanout.clients },
      );
    if (!options.targets.includes(PRESENCE)) return;
    if (!redisServerVersion()) {
      const why =
        'redis-server is not installed (apt-get install redis-server): the Redis part of the presence scenario was SKIPPED';
      console.error(`\n${'!'.repeat(78)}\n!!! ${why}\n${'!'.repeat(78)}\n`);
      results.skipped.push(why);
      return;
    }
    redisServer ??= await startRedis();
    for (const instances of p.redis.instances) {
      await redisServer.flush();
      await measure(
        'presence',
        `${instances} instance${instances > 1 ? 's' : ''} on Redis`,
        [PRESENCE],
        () => ({
          instances,
          redis: redisServer.url,
          server: { presence: [REDIS_PATTERN], pendingTtl: p.redis.pendingTtl },
        }),
        (group) =>
          presenceRedis(group, options.params, {
            redisServer,
            log: (entry) => console.log(presenceLine(entry)),
          }),
        { part: 'redis', instances },
      );
    }
  };

  for (const scenario of options.scenarios) {
    // nestjs-realtime-nohistory runs in the burst and memory scenarios only, and
    // nestjs-realtime-presence in the presence scenario only.
    const targets = options.targets.filter(
      (t) =>
        (t !== NOHISTORY || NOHISTORY_SCENARIOS.includes(scenario)) &&
        (t !== PRESENCE || scenario === 'presence'),
    );
    if (targets.length === 0) continue;
    if (scenario === 'burst') {
      for (const clients of options.params.burst.sizes) {
        // --profile: the profiled targets' servers run under node --cpu-prof (whole
        // process) and also record a profile of the measured bursts only.
        const base = (target) =>
          join(
            BENCH,
            'results',
            'profiles',
            `${stamp}-burst-${clients}-${target}`,
          );
        const profiled = targets.filter((t) => options.profile.includes(t));
        for (const t of profiled)
          results.profiles.push(
            `${base(t)}.cpuprofile`,
            `${base(t)}-bursts.cpuprofile`,
          );
        await measure(
          scenario,
          `${clients} clients`,
          targets,
          (target) => ({
            profile: profiled.includes(target)
              ? `${base(target)}.cpuprofile`
              : undefined,
          }),
          (group) =>
            scenarios.burst(group, options.params, {
              clients,
              log: log(` ${clients}`),
              profiles: Object.fromEntries(
                profiled.map((t) => [t, `${base(t)}-bursts.cpuprofile`]),
              ),
            }),
          { clients },
        );
      }
    } else if (scenario === 'redis') {
      if (!redisServerVersion()) {
        const why =
          'redis-server is not installed (apt-get install redis-server): the cross-instance scenario (e) was SKIPPED';
        console.error(`\n${'!'.repeat(78)}\n!!! ${why}\n${'!'.repeat(78)}\n`);
        results.skipped.push(why);
        continue;
      }
      const redisTargets = targets.filter((t) => t !== 'ws');
      if (redisTargets.length === 0) continue;
      redisServer ??= await startRedis();
      await redisServer.flush();
      await measure(
        scenario,
        '',
        redisTargets,
        () => ({ instances: 2, redis: redisServer.url }),
        (group) =>
          scenarios.redis(group, options.params, { redisServer, log: log('') }),
      );
      if (targets.includes('ws'))
        results.scenarios.redis.unshift({
          target: 'ws',
          na: 'plain ws has no cross-instance mode',
        });
    } else if (scenario === 'churn') {
      await runChurn(targets);
    } else if (scenario === 'memory') {
      const { sizes, largeTargets } = options.params.memory;
      for (const clients of sizes)
        await measure(
          scenario,
          `${clients} clients`,
          clients >= (largeTargets ?? Infinity)
            ? targets.filter((t) => t === 'ws' || t === 'nestjs-realtime')
            : targets,
          () => ({}),
          (group) => scenarios.memory(group, options.params, { clients }),
          { clients },
        );
    } else if (scenario === 'avalanche') {
      // Node's default listen backlog (511), then the app's own 4,096 (the kernel's
      // somaxconn caps it): the reconnects arrive faster than one instance accepts them.
      if (targets.includes('nestjs-realtime'))
        for (const backlog of [undefined, 4096])
          await measure(
            'avalanche',
            backlog ? `listen backlog ${backlog}` : 'default listen backlog',
            ['nestjs-realtime'],
            () => ({
              worker: 'churn-client.mjs',
              server: backlog ? { backlog } : undefined,
            }),
            (group) =>
              group.each((rig) =>
                avalancheRun(rig, options.params, {
                  log: (target, entry) =>
                    console.log(avalancheLine(target, entry)),
                }),
              ),
            { backlog: backlog ?? 511 },
          );
    } else if (scenario === 'presence') {
      await runPresence();
    } else {
      await measure(
        scenario,
        '',
        targets,
        () => ({}),
        (group) => scenarios[scenario](group, options.params, { log: log('') }),
      );
    }
  }
  await redisServer?.stop();
  redisServer = undefined;

  results.wallTimeMs = Date.now() - started;
  const out = options.out ?? join(BENCH, 'results', `${stamp}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\n${renderMarkdown(results)}`);
  console.log(`results: ${relative(process.cwd(), out)}`);
  if (options.chart && results.scenarios.burst) {
    const svg = join(ROOT, 'docs', 'bench.svg');
    writeChart(results, svg);
    console.log(`chart: ${relative(process.cwd(), svg)}`);
  }
  for (const profile of results.profiles.filter((file) => existsSync(file))) {
    console.log(`\nCPU profile ${relative(process.cwd(), profile)}:\n`);
    console.log(summarizeProfile(profile, { top: 20 }));
  }
  console.log(`wall time: ${(results.wallTimeMs / 1000).toFixed(1)} s`);
  if (results.failures.length) {
    console.error(
      `\nbench FAILED: ${results.failures.map((f) => `${f.scenario} / ${f.target}`).join(', ')}`,
    );
    return 1;
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    killEverything();
    process.exit(130);
  });

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    killEverything();
    process.exit(1);
  },
);
