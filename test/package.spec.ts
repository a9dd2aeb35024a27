import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(__dirname, '..');

/** The published build (dist/, made by `npm run build` before the tests) loads in CommonJS and ESM apps. */
describe('the built package', () => {
  it('was built', () => {
    expect(existsSync(join(root, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'index.d.ts'))).toBe(true);
  });

  it('runs a CommonJS Nest app end to end', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(__dirname, 'fixtures', 'dist-app.cjs')],
      { cwd: root, timeout: 20_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({
      module: 'object',
      frame: '{"channel":"news","payload":{"from":"cjs"},"offset":1}',
    });
  });

  it('loads in an ES module app with named imports', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(__dirname, 'fixtures', 'dist-app.mjs')],
      { cwd: root, timeout: 20_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({
      socket: 'function',
      id: 'function',
      error: 'no_channels',
    });
  });

  it('exports exactly the public names of SPEC §3 that exist so far', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '-e',
        "console.log(Object.keys(require('nestjs-realtime')).sort().join(','))",
      ],
      { cwd: root },
    );
    expect(stdout.trim().split(',')).toEqual([
      'MessageHandler',
      // The registry's injection token (SPEC §13: a second broker behind the exported interface).
      'REALTIME_REGISTRY',
      'RealtimeDigestGuard',
      'RealtimeError',
      // SPEC §12: for @nestjs/terminus health checks.
      'RealtimeHealthIndicator',
      'RealtimeModule',
      'RealtimeService',
      'RealtimeSocket',
      'RealtimeWsAdapter',
      'Socket',
      'SocketConnectionId',
    ]);
  });
});
