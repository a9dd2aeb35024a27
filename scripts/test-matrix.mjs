// `npm test`: the whole suite on the primary platform (Nest 12 + Express), then the
// platform-dependent specs on Nest 12 + Fastify, Nest 11 + Express and Nest 11 +
// Fastify (README "Compatibility"). Nest 11 lives in a folder of its own outside the repo
// (<tmpdir>/nestjs-realtime-matrix/nest11: inside it, Node would fall back to the repo's
// Nest 12 for any file Nest 11 lacks), installed from test/matrix/nest11.json and its
// lock file with what the specs use; the specs, src, sample and dist are copied beside
// it. Prints the time of each cell and exits non-zero when any fails.
//
//   npm test                      all four cells
//   npm test -- --cell=nest11-fastify   one cell (names below)
//   npm test -- test/x.spec.ts    the primary cell only, with vitest's own arguments
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitestIn = (dir) => join(dir, 'node_modules', 'vitest', 'vitest.mjs');

/** What the specs import besides Nest: installed into the Nest 11 folder at the repo's versions. */
const CELL_DEV_DEPENDENCIES = [
  '@fastify/cookie',
  '@fastify/view',
  'class-transformer',
  'class-validator',
  'handlebars',
  'ioredis',
  'playwright-core',
  'reflect-metadata',
  'rxjs',
  'vitest',
];

/** The specs whose behaviour depends on the Nest major or the HTTP platform (SPEC §10). */
const PLATFORM_SPECS = [
  'test/identity.spec.ts',
  'test/html.e2e.spec.ts',
  'test/channels.e2e.spec.ts',
  'test/security.e2e.spec.ts',
  'test/attacks.e2e.spec.ts',
  'test/handlers.e2e.spec.ts',
  'test/fastify.e2e.spec.ts',
  'test/client-script.e2e.spec.ts',
  'test/testing-module.spec.ts',
  'test/sample.e2e.spec.ts',
  // The built package in a plain Node process: what resolves there is what users load.
  'test/package.spec.ts',
];

const CELLS = [
  { name: 'nest12-express', nest: 12, platform: 'express', whole: true },
  // The sample in a real browser, on Fastify too (the whole suite runs it on Express).
  {
    name: 'nest12-fastify',
    nest: 12,
    platform: 'fastify',
    extra: ['test/browser.e2e.spec.ts'],
  },
  { name: 'nest11-express', nest: 11, platform: 'express' },
  { name: 'nest11-fastify', nest: 11, platform: 'fastify' },
];

function run(command, args, options) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** Installs Nest 11 into its folder (once per manifest and lock file) and copies the code beside it. */
function prepareNest11() {
  const dir = join(tmpdir(), 'nestjs-realtime-matrix', 'nest11');
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const deps = { ...own.dependencies };
  for (const name of CELL_DEV_DEPENDENCIES) {
    if (!own.devDependencies[name])
      throw new Error(`${name} is not a devDependency any more`);
    deps[name] = own.devDependencies[name];
  }
  Object.assign(
    deps,
    JSON.parse(
      readFileSync(join(root, 'test', 'matrix', 'nest11.json'), 'utf8'),
    ),
  );
  // Named like the package, with its exports: the sample imports 'nestjs-realtime'.
  const manifest = {
    name: own.name,
    version: own.version,
    private: true,
    main: own.main,
    types: own.types,
    exports: own.exports,
    // The sample spec stops `npm start` by its PID.
    scripts: { start: own.scripts.start },
    dependencies: deps,
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const lock = join(root, 'test', 'matrix', 'nest11.lock.json');
  mkdirSync(dir, { recursive: true });
  const stamp = join(dir, '.installed');
  const want = text + (existsSync(lock) ? readFileSync(lock, 'utf8') : '');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    writeFileSync(join(dir, 'package.json'), text);
    const ci = existsSync(lock);
    if (ci) cpSync(lock, join(dir, 'package-lock.json'));
    const status = run(
      'npm',
      [
        ci ? 'ci' : 'install',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
      ],
      { cwd: dir },
    );
    if (status !== 0) throw new Error(`installing Nest 11 into ${dir} failed`);
    if (!ci) cpSync(join(dir, 'package-lock.json'), lock);
    writeFileSync(stamp, text + readFileSync(lock, 'utf8'));
  }
  for (const part of ['src', 'test', 'sample', 'dist', 'dist-sample']) {
    rmSync(join(dir, part), { recursive: true, force: true });
    cpSync(join(root, part), join(dir, part), {
      recursive: true,
      filter: (source) => !source.includes(`${join('test', 'matrix')}`),
    });
  }
  for (const file of ['vitest.config.mts', 'tsconfig.json'])
    cpSync(join(root, file), join(dir, file));
  return dir;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(0)} s`;
}

const args = process.argv.slice(2);
const only = args.find((arg) => arg.startsWith('--cell='))?.slice(7);
const vitestArgs = args.filter((arg) => !arg.startsWith('--cell='));
if (only && !CELLS.some((cell) => cell.name === only)) {
  console.error(
    `unknown cell "${only}" (one of: ${CELLS.map((c) => c.name).join(', ')})`,
  );
  process.exit(2);
}
// Vitest arguments of their own (a file, -t): the primary cell only, as `vitest run` would.
const cells = only
  ? CELLS.filter((cell) => cell.name === only)
  : vitestArgs.length > 0
    ? CELLS.slice(0, 1)
    : CELLS;

const results = [];
for (const cell of cells) {
  console.log(
    `\n==================== cell ${cell.name}: Nest ${cell.nest} + ${cell.platform} ====================`,
  );
  const started = Date.now();
  let status;
  try {
    const cwd = cell.nest === 11 ? prepareNest11() : root;
    const files = cell.whole
      ? vitestArgs
      : [...PLATFORM_SPECS, ...(cell.extra ?? []), ...vitestArgs];
    status = run(process.execPath, [vitestIn(cwd), 'run', ...files], {
      cwd,
      env: { ...process.env, PLATFORM: cell.platform },
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    status = 1;
  }
  const took = Date.now() - started;
  results.push({ cell, status, took });
  console.log(
    `cell ${cell.name}: ${status === 0 ? 'passed' : 'FAILED'} in ${seconds(took)}`,
  );
}

console.log('\nMatrix:');
for (const { cell, status, took } of results)
  console.log(
    `  ${cell.name.padEnd(16)} ${status === 0 ? 'passed' : 'FAILED'}  ${seconds(took)}`,
  );
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
