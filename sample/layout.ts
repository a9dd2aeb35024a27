/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[
        c
      ] as string,
  );
}

const STYLE = `
  :root { --fg: #1d2330; --muted: #6b7280; --line: #e5e7eb; --accent: #e0234e; --ok: #15803d; --warn: #b45309; }
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg); margin: 0; background: #f6f7f9; }
  main { max-width: 46rem; margin: 0 auto; padding: 1.25rem 1rem 2rem; }
  header { display: flex; align-items: baseline; gap: .75rem; flex-wrap: wrap; }
  h1 { font-size: 1.4rem; margin: 0; }
  h1 small { color: var(--muted); font-weight: normal; font-size: .8rem; }
  nav { margin: .5rem 0 1rem; color: var(--muted); font-size: .9rem; }
  nav a { color: var(--accent); margin-right: .5rem; }
  .state { font-size: .8rem; padding: .1rem .5rem; border-radius: 1rem; background: #eee; color: var(--muted); }
  .state[data-state='open'] { background: #dcfce7; color: var(--ok); }
  .state[data-state='reconnecting'], .state[data-state='connecting'] { background: #fef3c7; color: var(--warn); }
  .state[data-state='closed'] { background: #fee2e2; color: #b91c1c; }
  .clock { margin-left: auto; font-variant-numeric: tabular-nums; color: var(--muted); }
  .panel { background: #fff; border: 1px solid var(--line); border-radius: .5rem; }
`;

// Shared by the pages: shows the socket's state in #state, and reloads the page when
// a resume frame says messages were missed that cannot be replayed (README "Delivery
// guarantees"): after a server restart (memory registry: the view is unknown; no
// secret configured: the id is no longer valid), or after more was missed than the
// history holds. Everything else — a reconnect within the window — replays by itself.
const WATCH_CONNECTION = `
function watchConnection(rt) {
  const badge = document.getElementById('state');
  rt.onState((state) => {
    badge.dataset.state = state;
    badge.textContent = state;
  });
  rt.onResume((resume) => {
    if (!resume.recovered) location.reload();
  });
}
`;

/** A whole HTML page; the module adds `data-socket-connection-id` to its `<body>`. */
export function htmlPage(options: {
  title: string;
  style?: string;
  /** Extra attributes of `<body>`, already escaped. */
  bodyAttributes?: string;
  body: string;
  script: string;
}): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" href="data:," />
    <title>${escapeHtml(options.title)}</title>
    <style>${STYLE}${options.style ?? ''}</style>
  </head>
  <body${options.bodyAttributes ? ` ${options.bodyAttributes}` : ''}>
    <main>
${options.body}
    </main>
    <script src="/realtime/client.js"></script>
    <script>
${WATCH_CONNECTION}
${options.script}
    </script>
  </body>
</html>
`;
}
