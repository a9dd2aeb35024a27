// Builds the browser client (src/client) apart from the CommonJS server build:
// dist/client/index.mjs (ESM, for bundlers: `nestjs-realtime/client`),
// dist/client/index.d.ts (its types) and dist/client/realtime.iife.js (a minified
// script defining `window.Realtime`, served by the module at `clientPath`).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist', 'client');
const common = {
  absWorkingDir: root,
  entryPoints: ['src/client/index.ts'],
  bundle: true,
  platform: 'browser',
  target: 'es2019',
  logLevel: 'warning',
  // Its target (ES2020) keeps class fields as plain assignments: no helpers.
  tsconfig: 'tsconfig.client.json',
};

// Whatever an earlier build (or the server build) left there goes.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

await build({
  ...common,
  format: 'esm',
  minify: false,
  outfile: join(outDir, 'index.mjs'),
});
await build({
  ...common,
  format: 'iife',
  globalName: 'Realtime',
  minify: true,
  outfile: join(outDir, 'realtime.iife.js'),
});

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.client.json'], {
  cwd: root,
  stdio: 'inherit',
});

const iife = readFileSync(join(outDir, 'realtime.iife.js'));
const size = { iife: iife.length, gzip: gzipSync(iife).length };
writeFileSync(join(outDir, 'size.json'), JSON.stringify(size) + '\n');
console.log(
  `client: realtime.iife.js ${size.iife} bytes minified, ${size.gzip} bytes gzipped`,
);
