import type { RealtimeStats } from 'nestjs-realtime';
import { escapeHtml, htmlPage } from '../layout';

const STYLE = `
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem 1rem; border-bottom: 1px solid var(--line); }
  tbody th { font-weight: normal; color: var(--muted); width: 35%; }
  thead th { font-size: .85rem; color: var(--muted); }
  td { font-variant-numeric: tabular-nums; }
  p.hint { color: var(--muted); font-size: .9rem; }
  p.hint a { color: var(--accent); }
`;

/** `{ registry: { kind } }` -> `[['registry.kind', …]]`: one row per counter. */
function rows(stats: object, prefix = ''): Array<[string, string]> {
  return Object.entries(stats).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null
      ? rows(value as object, `${prefix}${key}.`)
      : [[`${prefix}${key}`, String(value)] as [string, string]],
  );
}

// Every instance pushes its own stats to `stats` (with Redis they all reach this
// page): one column per instance heard from in the last 5 seconds.
const SCRIPT = `
(function () {
  const rows = (stats, prefix) =>
    Object.entries(stats).flatMap(([key, value]) =>
      typeof value === 'object' && value !== null ? rows(value, prefix + key + '.') : [[prefix + key, String(value)]]);
  const element = (tag, text, attributes) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    Object.assign(node.dataset, attributes);
    return node;
  };
  const rendered = document.body.dataset.instance;
  const instances = new Map(); // instanceId -> { values: Map(key -> value), seen }

  const render = () => {
    const now = Date.now();
    for (const [id, entry] of instances) if (now - entry.seen > 5000) instances.delete(id);
    const ids = Array.from(instances.keys()).sort();
    const keys = [];
    for (const id of ids) for (const key of instances.get(id).values.keys()) if (!keys.includes(key)) keys.push(key);
    document.getElementById('columns').replaceChildren(
      element('th', 'counter'),
      ...ids.map((id) => element('th', id.slice(0, 8) + (id === rendered ? ' (this page)' : ''), { instance: id })),
    );
    document.getElementById('rows').replaceChildren(...keys.map((key) => {
      const row = element('tr', undefined, { key });
      row.append(element('th', key), ...ids.map((id) => element('td', instances.get(id).values.get(key) ?? '', { instance: id })));
      return row;
    }));
    document.getElementById('updated').textContent = new Date().toLocaleTimeString();
  };

  const rt = Realtime.connect();
  watchConnection(rt);
  rt.on('stats', (stats) => {
    instances.set(stats.instanceId, { values: new Map(rows(stats, '')), seen: Date.now() });
    render();
  });
})();
`;

/** `RealtimeService.stats()` of every instance, live over the `stats` channel. */
export function statsPage(stats: RealtimeStats): string {
  const instance = escapeHtml(stats.instanceId);
  const table = rows(stats)
    .map(
      ([key, value]) =>
        `<tr data-key="${escapeHtml(key)}"><th>${escapeHtml(key)}</th><td data-instance="${instance}">${escapeHtml(value)}</td></tr>`,
    )
    .join('\n');
  return htmlPage({
    title: 'stats · nestjs-realtime chat',
    bodyAttributes: `data-instance="${instance}"`,
    style: STYLE,
    body: `
      <header>
        <h1>Realtime stats <small>every instance, live</small></h1>
        <span id="state" class="state" data-state="connecting">connecting</span>
        <span class="clock">updated <span id="updated">at render</span></span>
      </header>
      <nav>Rooms: <a href="/rooms/lobby">#lobby</a> <a href="/rooms/random">#random</a> · <a href="/stats.json">stats.json</a></nav>
      <section class="panel"><table>
        <thead><tr id="columns"><th>counter</th><th data-instance="${instance}">${instance.slice(0, 8)} (this page)</th></tr></thead>
        <tbody id="rows">
${table}
        </tbody>
      </table></section>
      <p class="hint">Counters since each instance booted (<code>RealtimeService.stats()</code>), pushed by every instance to the <code>stats</code> channel each second; <a href="/stats.json">stats.json</a> is this instance's.</p>`,
    script: SCRIPT,
  });
}
