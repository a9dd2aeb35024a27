// Parameters of the quick and full runs (documented in bench/README.md).

/** nestjs-realtime with `history: false`, next to the default one (burst and memory only). */
export const NOHISTORY = 'nestjs-realtime-nohistory';
/** nestjs-realtime with `presence: ['bench']` whose page renders identify distinct users (presence scenario only). */
export const PRESENCE = 'nestjs-realtime-presence';
export const TARGETS = [
  'ws',
  'socket.io',
  'nestjs-realtime',
  NOHISTORY,
  PRESENCE,
];
/** The scenarios that measure NOHISTORY too (SPEC §8 "history on ≥ 0.9× history off"). */
export const NOHISTORY_SCENARIOS = ['burst', 'memory'];
export const SCENARIOS = [
  'burst',
  'steady',
  'memory',
  'connect',
  'redis',
  'churn',
  'avalanche',
  'presence',
];

const QUICK = {
  workers: 2,
  concurrency: 50,
  warmup: 20,
  burst: { sizes: [1000], messages: 60, rounds: 3, batch: 1 },
  steady: {
    clients: 1000,
    rates: [25, 50, 75, 100],
    stepMs: 1500,
    p99LimitMs: 50,
    commonMs: 1500,
    commonRounds: 2,
  },
  memory: { sizes: [2000], warmupClients: 100 },
  connect: { clients: 500, warmupClients: 50 },
  redis: {
    clients: 1000,
    messages: 100,
    rounds: 1,
    batch: 1,
    rate: 50,
    rateMs: 1500,
  },
  // Each connection dropped uniformly 2–6 s after it opened; drain: the wait after the
  // last push, ended early once nothing arrived for idleMs with every client open.
  churn: {
    clients: 200,
    rate: 20,
    seconds: 15,
    dropMinMs: 2000,
    dropMaxMs: 6000,
    drainMs: 20_000,
    idleMs: 3000,
  },
  // (i) avalanche: every client dropped at once at dropAtMs while `rate` msg/s flow for
  // `seconds`; each reconnects by itself (the browser client's backoff and jitter).
  avalanche: {
    clients: 1000,
    rate: 20,
    seconds: 8,
    dropAtMs: 3000,
    drainMs: 20_000,
    idleMs: 3000,
  },
  // (h) presence: fan-out with and without it (interleaved bursts, as (a)); then the
  // Redis commands of N identified connections on `channels` channels (pendingTtl 3 s:
  // a renew interval of 1 s), during the joins and in an idle window of `intervals`.
  presence: {
    // warmup: messages before the rounds, also to the target without presence, whose
    // processes did not write and read the N²/2 join frames of the connects.
    fanout: { clients: 1000, messages: 60, rounds: 5, batch: 1, warmup: 200 },
    redis: {
      clients: 1000,
      channels: 4,
      pendingTtl: 3000,
      intervals: 3,
      instances: [1, 2],
    },
    settleMs: 20_000,
  },
};

const FULL = {
  workers: 2,
  concurrency: 50,
  warmup: 50,
  burst: { sizes: [1000, 5000], messages: 200, rounds: 3, batch: 1 },
  steady: {
    clients: 1000,
    rates: [25, 50, 75, 100, 125, 150, 200, 300],
    stepMs: 3000,
    p99LimitMs: 50,
    commonMs: 6000,
    commonRounds: 5,
  },
  // 15,000: ws and nestjs-realtime only (SPEC §8 asks for both sizes; the others'
  // figures at 5,000 tell their story). The file limit on these machines is 20,000.
  memory: { sizes: [5000, 15000], warmupClients: 200, largeTargets: 15000 },
  connect: { clients: 2000, warmupClients: 100 },
  redis: {
    clients: 1000,
    messages: 200,
    rounds: 3,
    batch: 1,
    rate: 50,
    rateMs: 3000,
  },
  churn: {
    clients: 1000,
    rate: 20,
    seconds: 30,
    dropMinMs: 2000,
    dropMaxMs: 6000,
    drainMs: 30_000,
    idleMs: 3000,
  },
  avalanche: {
    clients: 5000,
    rate: 20,
    seconds: 15,
    dropAtMs: 4000,
    drainMs: 30_000,
    idleMs: 3000,
  },
  presence: {
    fanout: { clients: 1000, messages: 200, rounds: 5, batch: 1, warmup: 500 },
    redis: {
      clients: 5000,
      channels: 20,
      pendingTtl: 3000,
      intervals: 5,
      instances: [1, 2],
    },
    settleMs: 30_000,
  },
};

function parseList(value, allowed, what) {
  const list = value.split(',').filter(Boolean);
  for (const item of list)
    if (!allowed.includes(item))
      throw new Error(
        `unknown ${what} "${item}" (one of: ${allowed.join(', ')})`,
      );
  return list;
}

/** Parses the command line: `--quick`, `--only=burst,steady`, `--targets=ws,…`, … */
export function parseArgs(argv) {
  const options = {
    quick: false,
    scenarios: SCENARIOS,
    targets: TARGETS,
    profile: [],
    chart: true,
    client: 'raw',
    out: undefined,
    workers: undefined,
  };
  for (const arg of argv) {
    const [name, value = ''] = arg.split(/=(.*)/s, 2);
    if (name === '--quick') options.quick = true;
    else if (name === '--full') options.quick = false;
    else if (name === '--only')
      options.scenarios = parseList(value, SCENARIOS, 'scenario');
    else if (name === '--targets')
      options.targets = parseList(value, TARGETS, 'target');
    else if (name === '--profile')
      options.profile = value
        ? parseList(value, TARGETS, 'target')
        : ['nestjs-realtime'];
    else if (name === '--no-chart') options.chart = false;
    else if (name === '--history') {
      if (value !== 'on' && value !== 'off')
        throw new Error(`--history must be on or off, got ${value}`);
      options.history = value === 'on';
    } else if (name === '--client')
      options.client = parseList(value, ['raw', 'ws', 'official'], 'client')[0];
    else if (name === '--out') options.out = value;
    else if (name === '--workers') options.workers = Number(value);
    else if (name === '--help' || name === '-h') options.help = true;
    else throw new Error(`unknown option ${arg} (try --help)`);
  }
  // With --history=off the nestjs-realtime target itself runs without history.
  if (options.history === false)
    options.targets = options.targets.filter((t) => t !== NOHISTORY);
  if (options.targets.length === 0)
    throw new Error(
      `no target left (with --history=off, ${NOHISTORY} is nestjs-realtime)`,
    );
  options.params = structuredClone(options.quick ? QUICK : FULL);
  if (options.workers !== undefined) {
    if (!Number.isInteger(options.workers) || options.workers < 1)
      throw new Error('--workers must be a positive integer');
    options.params.workers = options.workers;
  }
  return options;
}

export const USAGE = `npm run bench [-- options]

  --quick               small N and short steps (under 2 minutes on 2 cores)
  --only=a,b            scenarios: ${SCENARIOS.join(', ')}
  --history=on|off      nestjs-realtime with its channel history (default on) or
                        with history: false (the first wave's frames); off leaves
                        out ${NOHISTORY}
  --targets=a,b         targets: ${TARGETS.join(', ')}
                        (${NOHISTORY}: nestjs-realtime with history: false, next to
                        the default; burst and memory scenarios only.
                        ${PRESENCE}: with presence on the bench channel and
                        identified users; presence scenario only)
  --profile[=a,b]       burst scenario: run the nestjs-realtime server (or the listed
                        targets' servers) under node --cpu-prof, also profile the
                        measured bursts alone, and print the top self-time functions
  --client=raw|ws|official
                        client code: raw (default) a minimal RFC 6455 client for every
                        target; ws the ws library for every target; official ws for
                        ws/nestjs-realtime and socket.io-client for Socket.IO
  --workers=N           load-generator processes (default ${QUICK.workers})
  --no-chart            do not write docs/bench.svg
  --out=FILE            results JSON path (default bench/results/<timestamp>.json)`;
