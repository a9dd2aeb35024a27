import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(__dirname, '..');

/** What `npm publish` would upload (README "Install"). */
describe('the published tarball', () => {
  it('holds the LICENSE, and every source map points at a file it also holds', async () => {
    const { stdout } = await run(
      'npm',
      ['pack', '--dry-run', '--json', '--ignore-scripts'],
      { cwd: root, timeout: 60_000 },
    );
    const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const files = new Set(packed.files.map((file) => file.path));
    expect(files.has('LICENSE')).toBe(true);
    expect(files.has('dist/index.js')).toBe(true);
    const maps = [...files].filter((path) => path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(root, map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources)
        expect(files, `${map} → ${source}`).toContain(
          posix.normalize(posix.join(dirname(map), source)),
        );
    }
    // No test code ships.
    expect([...files].some((path) => path.startsWith('test/'))).toBe(false);
  });

  it('runs no script when installed (npm 11 warns about install scripts it did not allow)', () => {
    const manifest = JSON.parse(
      readFileSync(join(root, 'package.json'), 'utf8'),
    ) as { scripts: Record<string, string> };
    for (const hook of ['prepare', 'preinstall', 'install', 'postinstall'])
      expect(manifest.scripts).not.toHaveProperty(hook);
  });
});
