// Where the new objects of a heap snapshot hang: every node of `after` whose id is not
// in `before`, grouped by what holds it (`<holder>.<edge>`, the first strong edge
// that points at it) and by what it is. Tells a per-connection Object apart from
// another (the request's headers, a Set's table, a timer).
import { readFileSync } from 'node:fs';

function load(file) {
  const { snapshot, nodes, edges, strings } = JSON.parse(
    readFileSync(file, 'utf8'),
  );
  const nf = snapshot.meta.node_fields;
  const ef = snapshot.meta.edge_fields;
  return {
    nodes,
    edges,
    strings,
    nodeTypes: snapshot.meta.node_types[0],
    edgeTypes: snapshot.meta.edge_types[0],
    n: nf.length,
    e: ef.length,
    at: Object.fromEntries(nf.map((f, i) => [f, i])),
    edgeAt: Object.fromEntries(ef.map((f, i) => [f, i])),
  };
}

function ids(h) {
  const set = new Set();
  for (let i = 0; i < h.nodes.length; i += h.n) set.add(h.nodes[i + h.at.id]);
  return set;
}

const label = (h, i) => {
  const type = h.nodeTypes[h.nodes[i + h.at.type]];
  const name = h.strings[h.nodes[i + h.at.name]];
  if (type === 'object' || type === 'closure')
    return type === 'closure' ? `closure ${name || '(anonymous)'}` : name;
  return `(${type})`;
};

/**
 * `{ rows: [{ holder, what, count, bytes }] }` per `per` (connections), biggest first:
 * the new nodes of `afterFile` by their first strong retainer edge.
 */
export function newByRetainer(beforeFile, afterFile, { per = 1, top = 30 }) {
  const old = ids(load(beforeFile));
  const h = load(afterFile);
  const count = h.nodes.length / h.n;
  /** Per node index: its first strong retainer (node index) and the edge's name. */
  const holder = new Int32Array(count).fill(-1);
  const edgeName = new Array(count);
  let edge = 0;
  for (let from = 0; from < h.nodes.length; from += h.n) {
    const edges = h.nodes[from + h.at.edge_count];
    for (let k = 0; k < edges; k++, edge += h.e) {
      const type = h.edgeTypes[h.edges[edge + h.edgeAt.type]];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = h.edges[edge + h.edgeAt.to_node] / h.n;
      if (holder[to] !== -1) continue;
      holder[to] = from;
      const name = h.edges[edge + h.edgeAt.name_or_index];
      edgeName[to] =
        type === 'element' || type === 'hidden' ? `[${type}]` : h.strings[name];
    }
  }
  const groups = new Map();
  for (let i = 0, idx = 0; i < h.nodes.length; i += h.n, idx++) {
    if (old.has(h.nodes[i + h.at.id])) continue;
    const from = holder[idx];
    const by = from === -1 ? '(root)' : `${label(h, from)}.${edgeName[idx]}`;
    const key = `${by} → ${label(h, i)}`;
    const g = groups.get(key) ?? { holder: by, what: label(h, i), n: 0, b: 0 };
    g.n++;
    g.b += h.nodes[i + h.at.self_size];
    groups.set(key, g);
  }
  const rows = [...groups.values()]
    .map((g) => ({
      holder: g.holder,
      what: g.what,
      count: g.n / per,
      bytes: g.b / per,
    }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
  return { rows };
}
