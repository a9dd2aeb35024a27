// Counts the commands that clients send to the bench's own redis-server (never 6379):
// a MONITOR connection (raw RESP over node:net, loopback) records every top-level
// command with Redis's timestamp and the client's address; commands that scripts run
// (`[0 lua]`) are not round trips and are left out. EVAL/EVALSHA are named after the
// nestjs-realtime script they run (sha1 of its Lua, as ioredis sends it). INFO
// commandstats snapshots cross-check the script calls (commandstats counts the commands
// inside scripts too, so its total is not a count of round trips).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const require = createRequire(import.meta.url);
/** Most lines kept per window (a bound; the count goes on past it). */
const MAX_LINES = 2_000_000;

const sha1 = (text) => createHash('sha1').update(text).digest('hex');

/** sha1 → script name (`rtPresenceFlush`, `rtRenew`, …) of the built package. */
export function scriptNames() {
  const names = new Map();
  const add = (name, { lua }) => names.set(sha1(lua), name);
  const dir = join(ROOT, 'dist', 'registry', 'redis');
  const load = (file) => {
    try {
      return require(join(dir, file));
    } catch {
      return {}; // a build without the file: its scripts show as `evalsha <sha>`
    }
  };
  for (const [file, key] of [
    ['presence-scripts.js', 'PRESENCE_SCRIPTS'],
    ['redis-scripts.js', 'SCRIPTS'],
  ])
    for (const [name, definition] of Object.entries(load(file)[key] ?? {}))
      add(name, definition);
  // The history store keeps its scripts private: its constructor defines them on the
  // command connection it is given.
  try {
    const { RedisHistoryStore } = load('redis-history-store.js');
    if (RedisHistoryStore)
      new RedisHistoryStore({ defineCommand: add }, 'bench:', {});
  } catch {
    // named by sha then
  }
  return names;
}

/** Redis's quoting of MONITOR arguments (sdscatrepr), undone. */
function unquote(line, i) {
  let out = '';
  for (i++; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return { text: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = line[++i];
    if (e === 'n') out += '\n';
    else if (e === 'r') out += '\r';
    else if (e === 't') out += '\t';
    else if (e === 'a') out += '\x07';
    else if (e === 'b') out += '\b';
    else if (e === 'x') {
      out += String.fromCharCode(parseInt(line.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += e;
  }
  return { text: out, end: i };
}

/** `1796609029.004716 [0 127.0.0.1:60806] "evalsha" "ae34…" …` → { t, source, name, arg }. */
function parseLine(line) {
  const space = line.indexOf(' ');
  const close = line.indexOf('] ', space);
  if (space < 0 || close < 0) return null;
  const t = Number(line.slice(0, space)) * 1000;
  const source = line.slice(line.indexOf(' ', space + 1) + 1, close);
  const first = unquote(line, close + 2);
  const name = first.text.toLowerCase();
  let arg;
  if (name === 'eval' || name === 'evalsha')
    arg = unquote(line, first.end + 1).text;
  return { t, source, name, arg };
}

/** Opens a MONITOR on `port`; `own` is a set of local ports whose commands are ignored. */
export async function startMonitor(port, { own = new Set() } = {}) {
  const scripts = scriptNames();
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  const lines = [];
  let dropped = 0;
  let pending = '';
  let ok;
  const started = new Promise((resolve, reject) => {
    ok = resolve;
    socket.once('error', reject);
    setTimeout(() => reject(new Error('MONITOR: no +OK within 5 s')), 5_000);
  });
  socket.on('data', (chunk) => {
    pending += chunk;
    let pos = 0;
    let nl;
    while ((nl = pending.indexOf('\r\n', pos)) >= 0) {
      const line = pending.slice(pos, nl);
      pos = nl + 2;
      if (line === '+OK') ok();
      else if (line.startsWith('+')) {
        if (lines.length < MAX_LINES) lines.push(line.slice(1));
        else dropped++;
      }
    }
    pending = pending.slice(pos);
  });
  socket.on('error', () => {});
  socket.write('MONITOR\r\n');
  await started;
  const ownSource = (source) => own.has(Number(source.split(':').pop()));
  const label = (c) => {
    if (c.name !== 'eval' && c.name !== 'evalsha') return c.name;
    const sha = c.name === 'eval' ? sha1(c.arg) : c.arg;
    return `${c.name} ${scripts.get(sha) ?? sha.slice(0, 12)}`;
  };
  return {
    /**
     * The clients' top-level commands with Redis time in [from, to) ms (epoch), as
     * { total, byName: { 'evalsha rtPresenceFlush': n, … }, bySource: { addr: { name: n } } }.
     * Lines are parsed here, not as they arrive (cheap while the load runs).
     */
    count(from, to) {
      const byName = {};
      const bySource = {};
      let total = 0;
      for (const line of lines) {
        const c = parseLine(line);
        if (!c || c.t < from || c.t >= to) continue;
        if (c.source === 'lua' || ownSource(c.source)) continue;
        const name = label(c);
        total++;
        byName[name] = (byName[name] ?? 0) + 1;
        const per = (bySource[c.source] ??= {});
        per[name] = (per[name] ?? 0) + 1;
      }
      return { total, byName, bySource, dropped };
    },
    /** Forgets the lines recorded so far (between set-ups). */
    clear() {
      lines.length = 0;
      dropped = 0;
    },
    stop: () => socket.destroy(),
    localPort: () => socket.localPort,
  };
}

/**
 * `INFO stats commandstats` (one command) as { name: calls }, with `reads`: Redis's
 * `total_reads_processed` (read events on client sockets: a pipeline's bytes arrive in
 * a few reads, a command written on its own in one), not a command name.
 */
export async function commandStats(client) {
  const text = await client.call('INFO', 'stats', 'commandstats');
  const calls = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls[m[1]] = Number(m[2]);
  const reads = /^total_reads_processed:(\d+)/m.exec(text);
  return Object.defineProperty(calls, 'reads', {
    value: reads ? Number(reads[1]) : NaN,
  });
}

/** after − before of two commandStats snapshots (only names that changed). */
export function statsDelta(before, after) {
  const delta = {};
  for (const [name, calls] of Object.entries(after)) {
    const d = calls - (before[name] ?? 0);
    if (d > 0) delta[name] = d;
  }
  return delta;
}
