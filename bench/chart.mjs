// Draws docs/bench.svg from a results JSON (hand-written SVG, no dependencies): burst
// fan-out at 1,000 clients — deliveries/s, p99 latency, server CPU per delivery — per
// target, plus cross-instance deliveries/s when the run has it.
//
//   node bench/chart.mjs [results.json] [out.svg]   (default: newest bench/results/*.json)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const COLORS = {
  ws: '#8c8c8c',
  'socket.io': '#e0a030',
  'nestjs-realtime': '#d0234e',
};
const TARGETS = ['ws', 'socket.io', 'nestjs-realtime'];
const PANEL = { width: 250, height: 220, gap: 24 };
const TOP = 64;

const escape = (s) =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function label(value, unit) {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === '/s')
    return value >= 1e6
      ? `${(value / 1e6).toFixed(2)} M/s`
      : `${Math.round(value / 1000)} k/s`;
  return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${unit}`;
}

function panel(x, { title, subtitle, unit, values }) {
  const bars = TARGETS.map((t) => ({ target: t, value: values[t] })).filter(
    (b) => b.value !== undefined,
  );
  const max = Math.max(
    ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)),
    1e-9,
  );
  const plotTop = TOP + 58;
  const plotHeight = PANEL.height - 84;
  const baseY = plotTop + plotHeight;
  const slot = PANEL.width / Math.max(bars.length, 1);
  const parts = [
    `<text x="${x + PANEL.width / 2}" y="${TOP + 14}" class="title">${escape(title)}</text>`,
    `<text x="${x + PANEL.width / 2}" y="${TOP + 30}" class="sub">${escape(subtitle)}</text>`,
    `<line x1="${x}" y1="${baseY}" x2="${x + PANEL.width}" y2="${baseY}" class="axis"/>`,
  ];
  bars.forEach((b, i) => {
    const h = Number.isFinite(b.value)
      ? Math.max(1, (b.value / max) * plotHeight)
      : 0;
    const bx = x + i * slot + slot * 0.18;
    const bw = slot * 0.64;
    parts.push(
      `<rect x="${bx.toFixed(1)}" y="${(baseY - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[b.target]}"><title>${escape(`${b.target}: ${label(b.value, unit)}`)}</title></rect>`,
      `<text x="${(bx + bw / 2).toFixed(1)}" y="${(baseY - h - 5).toFixed(1)}" class="value">${escape(label(b.value, unit))}</text>`,
      `<text x="${(bx + bw / 2).toFixed(1)}" y="${baseY + 15}" class="tick">${escape(b.target)}</text>`,
    );
  });
  return parts.join('\n  ');
}

const pick = (entries, target, extra = () => true) =>
  entries?.find((e) => e.target === target && !e.failed && !e.na && extra(e))
    ?.summary;

/** The SVG text for a results object. */
export function renderChart(results) {
  const burst = results.scenarios.burst ?? [];
  const size = burst.some((e) => e.clients === 1000)
    ? 1000
    : burst.find((e) => e.clients)?.clients;
  const at = (t) => pick(burst, t, (e) => e.clients === size) ?? {};
  const values = (key) =>
    Object.fromEntries(TARGETS.map((t) => [t, at(t)[key]]));
  const panels = [
    {
      title: 'Fan-out: deliveries/s',
      subtitle: `${size?.toLocaleString('en-US')} clients, higher is better`,
      unit: '/s',
      values: values('deliveriesPerSec'),
    },
    {
      title: 'Fan-out: p99 latency',
      subtitle: 'push → client, lower is better',
      unit: 'ms',
      values: values('p99'),
    },
    {
      title: 'Server CPU per delivery',
      subtitle: 'user+sys µs, lower is better',
      unit: 'µs',
      values: values('cpuUsPerDelivery'),
    },
  ];
  const redis = results.scenarios.redis;
  if (redis?.some((e) => e.summary)) {
    panels.push({
      title: 'Cross-instance: deliveries/s',
      subtitle: `2 instances + Redis, ${redis.find((e) => e.clients)?.clients?.toLocaleString('en-US') ?? ''} clients`,
      unit: '/s',
      values: Object.fromEntries(
        TARGETS.slice(1).map((t) => [t, pick(redis, t)?.deliveriesPerSec]),
      ),
    });
  }
  const width = panels.length * (PANEL.width + PANEL.gap) + PANEL.gap;
  const height = TOP + PANEL.height + 36;
  const m = results.machine;
  const caption = `${results.mode} run ${results.startedAt.slice(0, 10)} · ${m.cpus} cores (${m.cpuModel}) · Node ${m.node} · commit ${m.commit?.slice(0, 7) ?? '?'} · load generator on the same machine`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">
  <style>
    .h { font-size: 17px; font-weight: 600; fill: #222; }
    .cap { font-size: 11px; fill: #666; }
    .title { font-size: 13px; font-weight: 600; fill: #222; text-anchor: middle; }
    .sub { font-size: 11px; fill: #666; text-anchor: middle; }
    .value { font-size: 11px; fill: #222; text-anchor: middle; }
    .tick { font-size: 11px; fill: #444; text-anchor: middle; }
    .axis { stroke: #bbb; stroke-width: 1; }
  </style>
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="${PANEL.gap}" y="26" class="h">nestjs-realtime vs plain ws and Socket.IO (npm run bench)</text>
  <text x="${PANEL.gap}" y="44" class="cap">${escape(caption)}</text>
  ${panels.map((p, i) => panel(PANEL.gap + i * (PANEL.width + PANEL.gap), p)).join('\n  ')}
</svg>
`;
}

export function writeChart(results, file) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderChart(results));
}

function newestResults() {
  const dir = join(BENCH, 'results');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (files.length === 0)
    throw new Error('no bench/results/*.json: run `npm run bench` first');
  return join(dir, files[files.length - 1]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const input = process.argv[2] ?? newestResults();
  const output = process.argv[3] ?? join(dirname(BENCH), 'docs', 'bench.svg');
  writeChart(JSON.parse(readFileSync(input, 'utf8')), output);
  console.log(`${output} from ${input}`);
}
