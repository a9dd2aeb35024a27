// The markdown report of a results JSON: one table per scenario, each figure with its
// ratio to the baseline of the same run, then the SPEC §8 bars for nestjs-realtime.

import { avalancheBars, avalancheSection } from './avalanche-report.mjs';
import { churnBars, churnTable } from './churn-report.mjs';
import { NOHISTORY } from './config.mjs';
import { presenceBars, presenceSection } from './presence-report.mjs';
import { int, num, ratio, table } from './markdown.mjs';

const NR = 'nestjs-realtime';
const SIO = 'socket.io';
const LABELS = { [NOHISTORY]: 'nestjs-realtime (history off)' };

/** Rows of a scenario (`render(e)`: the cells after the target's); failed or skipped targets get a row saying so. */
function rowsOf(entries, width, render) {
  return entries.map((e) => {
    const name = LABELS[e.target] ?? e.target;
    if (e.failed)
      return [
        name,
        `FAILED: ${e.failed.split('\n')[0].slice(0, 160)}`,
        ...Array(width - 2).fill(''),
      ];
    if (e.na) return [name, `n/a (${e.na})`, ...Array(width - 2).fill('')];
    return [name, ...render(e)];
  });
}

const find = (entries, target, extra = () => true) =>
  entries?.find((e) => e.target === target && !e.failed && !e.na && extra(e));

/** The default nestjs-realtime (history on) and the history-off one of the same run. */
function historyPair(entries, extra) {
  const on = find(entries, NR, extra);
  const off = find(entries, NOHISTORY, extra);
  return on && off ? { on, off } : null;
}

function burstTable(entries) {
  const sizes = [
    ...new Set(entries.filter((e) => e.clients).map((e) => e.clients)),
  ];
  const header = [
    'target',
    'clients',
    'deliveries/s',
    '× ws',
    'p50 ms',
    'p99 ms',
    'max ms',
    'CPU µs/delivery',
    '× ws',
  ];
  const rows = rowsOf(entries, header.length, (e) => {
    const ws =
      find(entries, 'ws', (b) => b.clients === e.clients)?.summary ?? {};
    const s = e.summary;
    return [
      int(e.clients),
      int(s.deliveriesPerSec),
      ratio(s.deliveriesPerSec, ws.deliveriesPerSec),
      num(s.p50),
      num(s.p99),
      num(s.max),
      num(s.cpuUsPerDelivery),
      ratio(s.cpuUsPerDelivery, ws.cpuUsPerDelivery),
    ];
  });
  const history = sizes
    .map((size) => [size, historyPair(entries, (e) => e.clients === size)])
    .filter(([, pair]) => pair)
    .map(
      ([size, { on, off }]) =>
        `${int(size)} clients: deliveries/s ${ratio(on.summary.deliveriesPerSec, off.summary.deliveriesPerSec)}, CPU/delivery ${ratio(on.summary.cpuUsPerDelivery, off.summary.cpuUsPerDelivery)}`,
    );
  let text = table(header, rows);
  if (history.length)
    text += `\n\n**History on vs off** (nestjs-realtime ÷ nestjs-realtime (history off), same rounds; SPEC §8: deliveries/s ≥ 0.9×): ${history.join('; ')}.`;
  return {
    title: `(a) Burst fan-out: ${sizes.map(int).join(' and ')} clients on one channel`,
    text,
  };
}

/** The common-rate measurement of each target (the highest rate all passed, measured longer). */
export function commonRate(entries) {
  const ok = entries.filter((e) => !e.failed && !e.na && e.common);
  if (ok.length === 0) return null;
  return {
    rate: ok[0].common.rate,
    seconds: ok[0].common.rounds.reduce((t, r) => t + r.count / r.rate, 0),
    rows: ok.map((e) => ({ target: e.target, ...e.common })),
  };
}

function steadyTable(entries) {
  const header = [
    'target',
    'highest rate msg/s',
    '× ws',
    'deliveries/s at it',
    'p99 ms at it',
  ];
  const wsBest = find(entries, 'ws')?.bestRate;
  const rows = rowsOf(entries, header.length, (e) => {
    const best = e.steps.find((s) => s.rate === e.bestRate);
    return [
      int(e.bestRate),
      ratio(e.bestRate, wsBest),
      int(best?.deliveriesPerSec),
      num(e.p99AtBest),
    ];
  });
  let text = table(header, rows);
  const common = commonRate(entries);
  if (common) {
    const ws = common.rows.find((r) => r.target === 'ws');
    const header2 = [
      'target',
      'p99 ms',
      'Δ p99 vs ws ms',
      'p50 ms',
      'max ms',
      'CPU µs/delivery',
      '× ws',
    ];
    const rows2 = common.rows.map((r) => [
      r.target,
      num(r.p99),
      ws ? num(r.p99 - ws.p99) : '–',
      num(r.p50),
      num(r.max),
      num(r.cpuUsPerDelivery),
      ratio(r.cpuUsPerDelivery, ws?.cpuUsPerDelivery),
    ]);
    const passedNone = entries
      .filter((e) => e.common && !e.bestRate)
      .map((e) => e.target);
    const why = passedNone.length
      ? `the lowest step: ${passedNone.join(', ')} passed none`
      : 'one step below the highest rate every target passed';
    text += `\n\nAt the common rate, ${int(common.rate)} msg/s (${why}), measured again for ${common.seconds.toFixed(0)} s per target (median of rounds):\n\n${table(header2, rows2)}`;
  }
  const clients = entries.find((e) => e.clients)?.clients;
  return {
    title: `(b) Steady rate: highest publish rate with p99 < 50 ms at ${int(clients)} clients`,
    text,
  };
}

function memoryTable(entries) {
  const header = [
    'target',
    'connections',
    'RSS KB/connection',
    '× ws',
    'RSS KB/connection, 2nd half',
    '× ws',
    'heap+external KB/connection',
    'RSS KB/connection without forced GC',
    '× ws',
  ];
  const wsAt = (e) => find(entries, 'ws', (w) => w.clients === e.clients);
  const rows = rowsOf(entries, header.length, (e) => [
    int(e.clients),
    num(e.rssPerConnection / 1024, 1),
    ratio(e.rssPerConnection, wsAt(e)?.rssPerConnection),
    num(e.rssMarginalPerConnection / 1024, 1),
    ratio(e.rssMarginalPerConnection, wsAt(e)?.rssMarginalPerConnection),
    num(e.heapPerConnection / 1024, 1),
    e.rssNoGcPerConnection === undefined
      ? '–'
      : num(e.rssNoGcPerConnection / 1024, 1),
    ratio(e.rssNoGcPerConnection, wsAt(e)?.rssNoGcPerConnection),
  ]);
  let text = table(header, rows);
  const pair = historyPair(entries);
  if (pair)
    text += `\n\n**History on vs off** (nestjs-realtime ÷ nestjs-realtime (history off)): RSS KB/connection ${ratio(pair.on.rssPerConnection, pair.off.rssPerConnection)}, 2nd half ${ratio(pair.on.rssMarginalPerConnection, pair.off.rssMarginalPerConnection)}, heap+external ${ratio(pair.on.heapPerConnection, pair.off.heapPerConnection)}.`;
  return {
    title:
      '(c) Memory per idle connection (server RSS delta / N, after forced GC, and before it)',
    text,
  };
}

function connectTable(entries) {
  const header = [
    'target',
    'connections',
    'connections/s',
    '× ws',
    'p50 ms',
    'p99 ms',
    'CPU µs/connection',
    '× ws',
    'reconnects/s',
    'reconnect p50 ms',
    'reconnect CPU µs',
    '× ws handshake',
  ];
  const ws = find(entries, 'ws');
  const rows = rowsOf(entries, header.length, (e) => [
    int(e.clients),
    int(e.perSec),
    ratio(e.perSec, ws?.perSec),
    num(e.latency.p50),
    num(e.latency.p99),
    int(e.cpuUsPerConnection),
    ratio(e.cpuUsPerConnection, ws?.cpuUsPerConnection),
    e.reconnect ? int(e.reconnect.perSec) : '–',
    e.reconnect ? num(e.reconnect.latency.p50) : '–',
    e.reconnect ? int(e.reconnect.cpuUsPerConnection) : '–',
    e.reconnect
      ? ratio(e.reconnect.cpuUsPerConnection, ws?.reconnect?.cpuUsPerConnection)
      : '–',
  ]);
  const concurrency = entries.find((e) => e.concurrency)?.concurrency;
  return {
    title: `(d) Connect rate (${concurrency ?? '?'} at a time; nestjs-realtime: page render + upgrade) and reconnects`,
    text:
      table(header, rows) +
      `\n\nReconnect: the same clients close (the server counts 0 connections) and open again — nestjs-realtime with their views' ids and keys and no page render (within \`reconnectGrace\`, as its browser client reconnects), ws and Socket.IO with a new handshake (they have nothing else). "× ws handshake": ÷ ws's CPU per handshake in the same (reconnect) phase.`,
  };
}

function redisTable(entries) {
  const rate = entries.find((e) => e.steady)?.steady.rate;
  const header = [
    'target',
    'clients',
    'burst deliveries/s',
    '× socket.io',
    'burst p50 ms',
    'burst p99 ms',
    'awaited burst deliveries/s',
    '× socket.io',
    'awaited burst p50 ms',
    'awaited burst p99 ms',
    `p50 ms at ${rate ?? '?'} msg/s`,
    `p99 ms at ${rate ?? '?'} msg/s`,
    'CPU µs/delivery (2 servers)',
    '× socket.io',
    'redis-server CPU µs/delivery',
  ];
  const sio = find(entries, SIO)?.summary ?? {};
  const sioAwaited = find(entries, SIO)?.awaitedSummary ?? {};
  const rows = rowsOf(entries, header.length, (e) => {
    const s = e.summary;
    const a = e.awaitedSummary ?? {};
    return [
      int(e.clients),
      int(s.deliveriesPerSec),
      ratio(s.deliveriesPerSec, sio.deliveriesPerSec),
      num(s.p50),
      num(s.p99),
      int(a.deliveriesPerSec),
      ratio(a.deliveriesPerSec, sioAwaited.deliveriesPerSec),
      num(a.p50),
      num(a.p99),
      num(e.steady?.latency.p50),
      num(e.steady?.latency.p99),
      num(s.cpuUsPerDelivery),
      ratio(s.cpuUsPerDelivery, sio.cpuUsPerDelivery),
      num(s.redisCpuUsPerDelivery),
    ];
  });
  return {
    title:
      '(e) Cross-instance: 2 instances on one Redis, clients split across them, pushes from one',
    text:
      table(header, rows) +
      '\n\n"Awaited": the same bursts from a loop that waits for each push to return before the next (`for (…) await realtime.push(…)`); Socket.IO\'s `emit` returns synchronously, after its local fan-out, so its loop is paced either way. nestjs-realtime\'s push resolves once Redis stamped it and the pushing instance delivered it to its own sockets.',
  };
}

/** The most CPU other processes of the machine took during any measured phase. */
function otherLoad(results) {
  let max = 0;
  let drops = 0;
  let retrans = 0;
  const visit = (r) => {
    if (r && Number.isFinite(r.otherCpuPercent))
      max = Math.max(max, r.otherCpuPercent);
    drops += r?.kernel?.softnetDrops ?? 0;
    retrans += r?.kernel?.retransSegs ?? 0;
  };
  for (const entries of Object.values(results.scenarios))
    for (const e of entries) {
      (e.rounds ?? []).forEach(visit);
      (e.awaitedRounds ?? []).forEach(visit);
      (e.steps ?? []).forEach(visit);
      (e.common?.rounds ?? []).forEach(visit);
      visit(e.steady);
    }
  // A churn entry is one measured stretch itself.
  (results.scenarios.churn ?? []).forEach(visit);
  return { max, drops, retrans };
}

const mark = (ok) =>
  ok === undefined ? 'not measured' : ok ? 'met' : '**not met**';

/** SPEC §8 for nestjs-realtime: [bar, measured, verdict]. */
export function bars(results) {
  const s = results.scenarios;
  const out = [];
  for (const size of [...new Set((s.burst ?? []).map((e) => e.clients))]) {
    const at = (t) => find(s.burst, t, (e) => e.clients === size)?.summary;
    const [nr, ws, sio] = [at(NR), at('ws'), at(SIO)];
    if (!nr || !ws) continue;
    const d = nr.deliveriesPerSec / ws.deliveriesPerSec;
    const c = nr.cpuUsPerDelivery / ws.cpuUsPerDelivery;
    out.push([
      `fan-out ${int(size)}: deliveries/s ≥ 1.1× ws`,
      `${d.toFixed(3)}×`,
      mark(d >= 1.1),
    ]);
    out.push([
      `fan-out ${int(size)}: CPU/delivery ≤ 0.9× ws`,
      `${c.toFixed(3)}×`,
      mark(c <= 0.9),
    ]);
    const off = at(NOHISTORY);
    if (off) {
      const h = nr.deliveriesPerSec / off.deliveriesPerSec;
      out.push([
        `fan-out ${int(size)}: history on ≥ 0.9× history off (deliveries/s)`,
        `${h.toFixed(3)}× (CPU/delivery ${(nr.cpuUsPerDelivery / off.cpuUsPerDelivery).toFixed(2)}×)`,
        mark(h >= 0.9),
      ]);
    }
    if (sio)
      out.push([
        `fan-out ${int(size)}: ahead of socket.io (deliveries/s and CPU/delivery)`,
        `${(nr.deliveriesPerSec / sio.deliveriesPerSec).toFixed(2)}× its deliveries/s, ${(nr.cpuUsPerDelivery / sio.cpuUsPerDelivery).toFixed(2)}× its CPU/delivery`,
        mark(
          nr.deliveriesPerSec > sio.deliveriesPerSec &&
            nr.cpuUsPerDelivery < sio.cpuUsPerDelivery,
        ),
      ]);
  }
  const [rnr, rsio] = [find(s.redis, NR)?.summary, find(s.redis, SIO)?.summary];
  if (rnr && rsio) {
    const d = rnr.deliveriesPerSec / rsio.deliveriesPerSec;
    out.push([
      'cross-instance: deliveries/s ≥ 1.3× socket.io + redis adapter',
      `${d.toFixed(2)}× (CPU/delivery ${(rnr.cpuUsPerDelivery / rsio.cpuUsPerDelivery).toFixed(2)}×)`,
      mark(d >= 1.3),
    ]);
    const p = rnr.p50 / rsio.p50;
    out.push([
      'cross-instance: burst p50 ≤ 2× socket.io + redis adapter (pushes not awaited)',
      `${p.toFixed(2)}× (${num(rnr.p50)} vs ${num(rsio.p50)} ms)`,
      mark(p <= 2),
    ]);
  }
  const [anr, asio] = [
    find(s.redis, NR)?.awaitedSummary,
    find(s.redis, SIO)?.awaitedSummary,
  ];
  if (anr && asio) {
    const p = anr.p50 / asio.p50;
    out.push([
      'cross-instance: burst p50 ≤ 2× socket.io + redis adapter (each push awaited)',
      `${p.toFixed(2)}× (${num(anr.p50)} vs ${num(asio.p50)} ms; deliveries/s ${(anr.deliveriesPerSec / asio.deliveriesPerSec).toFixed(2)}×)`,
      mark(p <= 2),
    ]);
  }
  const common = s.steady ? commonRate(s.steady) : null;
  const at = (t) => common?.rows.find((r) => r.target === t);
  if (at(NR) && at('ws')) {
    const delta = at(NR).p99 - at('ws').p99;
    out.push([
      `p99 within 1 ms of ws at ${int(common.rate)} msg/s, 1,000 clients (median of ${at(NR).rounds.length} interleaved rounds)`,
      `${delta >= 0 ? '+' : ''}${delta.toFixed(2)} ms (${num(at(NR).p99)} vs ${num(at('ws').p99)})`,
      mark(delta <= 1),
    ]);
  }
  for (const size of [...new Set((s.memory ?? []).map((e) => e.clients))]) {
    const at = (t) => find(s.memory, t, (e) => e.clients === size);
    const [mnr, mws] = [at(NR), at('ws')];
    if (!mnr || !mws) continue;
    const m = mnr.rssPerConnection / mws.rssPerConnection;
    const marginal =
      mnr.rssMarginalPerConnection / mws.rssMarginalPerConnection;
    const seen =
      mnr.rssNoGcPerConnection !== undefined
        ? `; without forced GC ${(mnr.rssNoGcPerConnection / mws.rssNoGcPerConnection).toFixed(2)}× (${num(mnr.rssNoGcPerConnection / 1024, 1)} vs ${num(mws.rssNoGcPerConnection / 1024, 1)} KB)`
        : '';
    out.push([
      `memory per idle connection ≤ 1.2× ws (RSS delta after forced GC / ${int(size)})`,
      `${m.toFixed(3)}× (${num(mnr.rssPerConnection / 1024, 1)} vs ${num(mws.rssPerConnection / 1024, 1)} KB; 2nd half alone ${marginal.toFixed(2)}×${seen})`,
      mark(m <= 1.2),
    ]);
  }
  const [cnr, cws] = [find(s.connect, NR), find(s.connect, 'ws')];
  if (cnr && cws) {
    const base = cws.cpuUsPerConnection;
    const r = cnr.cpuUsPerConnection / base;
    out.push([
      'connect: page render + upgrade ≤ 4× the CPU of a ws handshake',
      `${r.toFixed(2)}× (${int(cnr.cpuUsPerConnection)} vs ${int(base)} µs)`,
      mark(r <= 4),
    ]);
    const again = cnr.reconnect?.cpuUsPerConnection;
    const handshake = cws.reconnect?.cpuUsPerConnection;
    const known = again !== undefined && handshake !== undefined;
    out.push([
      'connect: a reconnect (known id, no page render) ≤ 2× the CPU of a ws handshake (same phase)',
      known
        ? `${(again / handshake).toFixed(2)}× (${int(again)} vs ${int(handshake)} µs)`
        : '–',
      mark(known ? again / handshake <= 2 : undefined),
    ]);
  }
  out.push(...churnBars(s.churn));
  out.push(...avalancheBars(s.avalanche));
  out.push(...presenceBars(s.presence));
  out.push([
    'no message lost or duplicated in this run',
    `${results.failures.length} failure(s)`,
    mark(results.failures.length === 0),
  ]);
  return out;
}

export function renderMarkdown(results) {
  const s = results.scenarios;
  const m = results.machine;
  const parts = [
    `## nestjs-realtime bench — ${results.mode} run, ${results.startedAt}`,
    `${m.cpus} × ${m.cpuModel}, ${m.totalMemGiB} GiB, Node ${m.node}, commit ${m.commit?.slice(0, 10) ?? '?'}${m.dirty ? ' (+ local changes)' : ''}; wall time ${(results.wallTimeMs / 1000).toFixed(0)} s.`,
  ];
  if (results.options?.history === false)
    parts.push(
      'nestjs-realtime ran with `history: false` (`--history=off`) in every scenario.',
    );
  if (results.distStale)
    parts.push(
      '**Warning:** `src/` was newer than `dist/`: the nestjs-realtime figures are those of the last build.',
    );
  const sections = [
    s.burst && burstTable(s.burst),
    s.steady && steadyTable(s.steady),
    s.memory && memoryTable(s.memory),
    s.connect && connectTable(s.connect),
    s.redis && redisTable(s.redis),
    s.churn?.length && churnTable(s.churn),
    s.avalanche?.length && avalancheSection(s.avalanche),
    s.presence?.length && presenceSection(s.presence),
  ].filter(Boolean);
  for (const { title, text } of sections) parts.push(`### ${title}\n\n${text}`);
  if (results.skipped.length)
    parts.push(`Skipped: ${results.skipped.join('; ')}`);
  const { max: other, drops, retrans } = otherLoad(results);
  parts.push(
    other > 5
      ? `**Note:** other processes of this machine used up to ${other.toFixed(0)}% of its CPU during a measured phase: throughput and latency are disturbed; CPU per delivery much less so.`
      : `Other processes of this machine used at most ${other.toFixed(1)}% of its CPU during the measured phases.`,
  );
  if (drops > 0)
    parts.push(
      `**Note:** during the measured phases the kernel dropped ${int(drops)} loopback packets (net.core.netdev_max_backlog = ${results.machine.netdevMaxBacklog ?? '?'}) and retransmitted ${int(retrans)} TCP segments: latency tails are inflated (see bench/README.md).`,
    );
  parts.push(
    `### SPEC §8 bars (nestjs-realtime)\n\n${table(['bar', 'measured', 'verdict'], bars(results))}`,
  );
  if (results.failures.length)
    parts.push(
      `### FAILURES\n\n${results.failures.map((f) => `- ${f.scenario} / ${f.target}: ${f.message.split('\n')[0]}`).join('\n')}`,
    );
  return parts.join('\n\n') + '\n';
}
