// What a server holds per idle connection: the difference between two V8 heap
// snapshots, by constructor, biggest first.
//
//   node bench/heap-summary.mjs --target=nestjs-realtime [--clients=2000] [--top=25]
//       starts the target's bench server, snapshots it before and after connecting
//       the clients (after a warm-up), and prints the difference per connection;
//   node bench/heap-summary.mjs <before.heapsnapshot> <after.heapsnapshot> [--per=N]
//       compares two snapshots you took.
// --retainers: also the new objects by what holds them (`RealtimeConnection.request →
// Object`); --keep=DIR keeps the two snapshots there.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newByRetainer } from './lib/heap-retainers.mjs';
import { Rig } from './lib/rig.mjs';

/** Self size and count per `type:name` of a .heapsnapshot. */
export function heapByConstructor(file) {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) =>
    fields.indexOf(f),
  );
  const totals = new Map();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    const name =
      type === 'object' || type === 'closure'
        ? strings[nodes[i + nameAt]]
        : `(${type})`;
    const key = type === 'closure' ? `closure ${name || '(anonymous)'}` : name;
    const entry = totals.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += nodes[i + sizeAt];
    totals.set(key, entry);
  }
  return totals;
}

export function diffHeaps(beforeFile, afterFile, { per = 1, top = 25 } = {}) {
  const before = heapByConstructor(beforeFile);
  const after = heapByConstructor(afterFile);
  const rows = [];
  let total = 0;
  for (const [name, a] of after) {
    const b = before.get(name) ?? { count: 0, size: 0 };
    const size = a.size - b.size;
    total += size;
    rows.push({ name, count: (a.count - b.count) / per, bytes: size / per });
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  return { perConnection: total / per, rows: rows.slice(0, top) };
}

/** Snapshots of a fresh `target` server before and after `clients` idle connections. */
async function snapshotServer(target, clients, dir) {
  const rig = new Rig(target, { client: 'raw', params: {} });
  try {
    await rig.start({ workers: 2 });
    await rig.connect(100, 50, 60_000);
    await rig.closeClients();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = join(dir, 'before.heapsnapshot');
    const after = join(dir, 'after.heapsnapshot');
    await rig.servers[0].request('heapSnapshot', { file: before }, 120_000);
    await rig.connect(clients, 50, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await rig.servers[0].request('heapSnapshot', { file: after }, 120_000);
    return { before, after };
  } finally {
    await rig.stop();
  }
}

function printRetainers({ rows }) {
  console.log('\nnew objects by their first strong retainer:\n');
  for (const r of rows)
    console.log(
      `${r.bytes.toFixed(0).padStart(8)} B ${r.count.toFixed(2).padStart(7)}×  ${r.holder} → ${r.what}`,
    );
}

function print({ perConnection, rows }, per) {
  console.log(
    `heap growth: ${perConnection.toFixed(0)} bytes${per > 1 ? ` per connection (÷ ${per})` : ''}\n`,
  );
  for (const r of rows)
    console.log(
      `${r.bytes.toFixed(0).padStart(8)} B ${r.count.toFixed(2).padStart(7)}×  ${r.name}`,
    );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name, fallback) =>
    args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
  const files = args.filter((a) => !a.startsWith('--'));
  const top = Number(flag('top', 25));
  const retainers = args.includes('--retainers');
  if (flag('target')) {
    const clients = Number(flag('clients', 2000));
    const keep = flag('keep');
    if (keep) mkdirSync(keep, { recursive: true });
    const dir = keep ?? mkdtempSync(join(tmpdir(), 'bench-heap-'));
    try {
      const { before, after } = await snapshotServer(
        flag('target'),
        clients,
        dir,
      );
      print(diffHeaps(before, after, { per: clients, top }), clients);
      if (retainers)
        printRetainers(newByRetainer(before, after, { per: clients, top }));
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  } else if (files.length === 2) {
    const per = Number(flag('per', 1));
    print(diffHeaps(files[0], files[1], { per, top }), per);
    if (retainers)
      printRetainers(newByRetainer(files[0], files[1], { per, top }));
  } else {
    console.error(
      'usage: node bench/heap-summary.mjs --target=<ws|socket.io|nestjs-realtime|nestjs-realtime-nohistory> [--clients=2000] [--top=25] [--retainers] [--keep=DIR]\n       node bench/heap-summary.mjs <before.heapsnapshot> <after.heapsnapshot> [--per=N] [--top=25] [--retainers]',
    );
    process.exit(1);
  }
}
