// Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`), and the same
// time grouped by where the code lives (nestjs-realtime, ws, node internals, GC…).
//
//   node bench/cpuprofile-summary.mjs <file.cpuprofile> [--top=25]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function where(url) {
  if (!url) return 'native / VM';
  if (url.startsWith('node:')) return 'node internals';
  // The innermost package: ws under @nestjs/platform-ws/node_modules is ws.
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.includes('/dist/')) return 'nestjs-realtime (dist)';
  if (url.includes('/bench/')) return 'bench harness';
  return url;
}

function shortUrl(url) {
  if (!url) return '';
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1);
  return url.replace(/^file:\/\/.*\/bench\//, 'bench/');
}

/** Self time per function and per location, in ms and % of the profile. */
export function analyzeProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  const functions = new Map();
  const groups = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || '(anonymous)';
    const key = `${name} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
    const group = /^\((idle|program|garbage collector)\)$/.test(name)
      ? name
      : where(url);
    groups.set(group, (groups.get(group) ?? 0) + us);
    total += us;
  }
  const sorted = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({
        name,
        ms: us / 1000,
        percent: (100 * us) / total,
      }));
  return {
    totalMs: total / 1000,
    functions: sorted(functions),
    groups: sorted(groups),
  };
}

export function summarizeProfile(file, { top = 25 } = {}) {
  const { totalMs, functions, groups } = analyzeProfile(
    JSON.parse(readFileSync(file, 'utf8')),
  );
  const line = (r) =>
    `${r.ms.toFixed(1).padStart(9)} ms ${r.percent.toFixed(1).padStart(5)}%  ${r.name}`;
  const busy = functions
    .filter((f) => f.name.startsWith('(idle)'))
    .reduce((ms, f) => ms - f.ms, totalMs);
  return [
    `profile: ${totalMs.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms not idle`,
    '',
    'self time by location:',
    ...groups.slice(0, 12).map(line),
    '',
    `top ${top} functions by self time:`,
    ...functions.slice(0, top).map(line),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error(
      'usage: node bench/cpuprofile-summary.mjs <file.cpuprofile> [--top=25]',
    );
    process.exit(1);
  }
  const top = Number(
    /--top=(\d+)/.exec(process.argv.slice(3).join(' '))?.[1] ?? 25,
  );
  console.log(summarizeProfile(file, { top }));
}
