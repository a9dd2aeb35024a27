// The avalanche scenario's part of the markdown report: its table and SPEC §8 bar.
import { AVALANCHE_BAR_MS } from './avalanche.mjs';
import { int, num, table } from './markdown.mjs';

const ok = (e) => e && !e.failed && !e.na;

export function avalancheSection(entries) {
  const header = [
    'listen backlog',
    'clients',
    'reconnects',
    'open again p50 / max ms',
    'back to 100% p50 / p99 / max ms',
    'never back',
    'delivered %',
    'missing',
    'duplicates',
    'reordered',
    'recovered:false',
    'server loop delay max ms',
  ];
  const rows = entries.map((e) =>
    ok(e)
      ? [
          int(e.backlog),
          int(e.clients),
          int(e.reconnects),
          `${num(e.reopen?.p50, 0)} / ${num(e.reopen?.max, 0)}`,
          `${num(e.back?.p50, 0)} / ${num(e.back?.p99, 0)} / ${num(e.back?.max, 0)}`,
          int(e.notBack),
          num(e.deliveredPercent, 3),
          int(e.missing),
          int(e.duplicates),
          int(e.reordered),
          int(e.recoveredFalse),
          num(e.serverEventLoopDelay?.maxMs, 0),
        ]
      : [
          int(e.backlog),
          `FAILED: ${String(e.failed).split('\n')[0].slice(0, 160)}`,
          ...Array(header.length - 2).fill(''),
        ],
  );
  const first = entries.find(ok);
  const text =
    table(header, rows) +
    (first
      ? `\n\n${int(first.rate)} msg/s for ${int(first.seconds)} s to every client (the project's browser client, as in (g)); at ${num(first.dropAtMs / 1000, 1)} s every client's TCP connection is destroyed at once and each reconnects by itself (its backoff with full jitter, the first retry within 250 ms), presenting its positions. "Open again": from the drop to the client's next open; "back to 100%": from the drop until the client had every message pushed so far (its replay done), per client. nestjs-realtime keeps its default history (100 messages per channel).`
      : '');
  return {
    title: '(i) Reconnect avalanche: every client dropped at once',
    text,
  };
}

/** [bar, measured, verdict] of the avalanche. */
export function avalancheBars(entries = []) {
  return entries.filter(ok).map(avalancheBar);
}

function avalancheBar(e) {
  const met =
    e.notBack === 0 &&
    e.back.max <= AVALANCHE_BAR_MS &&
    e.missing === 0 &&
    e.duplicates === 0 &&
    e.reordered === 0;
  return [
    `avalanche (listen backlog ${int(e.backlog)}): all ${int(e.clients)} clients dropped at once are back to 100% delivery within ${AVALANCHE_BAR_MS / 1000} s, nothing lost, no duplicate`,
    `slowest back after ${num(e.back?.max, 0)} ms (p50 ${num(e.back?.p50, 0)}), ${int(e.notBack)} never; open again max ${num(e.reopen?.max, 0)} ms; ${int(e.missing)} missing (all told: recovered:false ${int(e.recoveredFalse)}), ${int(e.duplicates)} duplicates`,
    met ? 'met' : '**not met**',
  ];
}
