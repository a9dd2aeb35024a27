import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

/*
 * Child processes (redis-server, app instances) and temp directories that must
 * not outlive the test process. Two layers:
 * - a `process.on('exit')` hook (SIGKILL + rm), for a normal exit;
 * - a detached watchdog process that holds the read end of a pipe: when the test
 *   process dies in any way (Vitest SIGTERMs its workers at the end of a run,
 *   and SIGTERM skips 'exit' hooks), the pipe closes and the watchdog kills what
 *   is still registered.
 */

const WATCHDOG = `
const { rmSync } = require('node:fs');
const pids = new Set();
const dirs = new Set();
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const set = line[1] === 'p' ? pids : dirs;
    const value = line[1] === 'p' ? Number(line.slice(2)) : line.slice(2);
    if (line[0] === '+') set.add(value);
    else set.delete(value);
  }
});
const reap = () => {
  for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch {}
  for (const dir of dirs) try { rmSync(dir, { recursive: true, force: true }); } catch {}
  process.exit(0);
};
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
`;

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let watchdog: ChildProcess | undefined;

function tell(line: string): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    watchdog.on('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    process.on('exit', () => {
      for (const child of children) {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
  }
  watchdog.stdin?.write(`${line}\n`);
}

/** Kills `child` (SIGKILL) if it is still running when the test process ends. */
export function trackProcess(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  children.add(child);
  tell(`+p${pid}`);
  child.once('exit', () => {
    children.delete(child);
    tell(`-p${pid}`);
  });
}

/** Removes `dir` when the test process ends, unless `untrackDir` was called. */
export function trackDir(dir: string): void {
  dirs.add(dir);
  tell(`+d${dir}`);
}

export function untrackDir(dir: string): void {
  if (dirs.delete(dir)) tell(`-d${dir}`);
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true once `child` exited, false after `timeout` ms. */
export function waitExit(
  child: ChildProcess,
  timeout: number,
): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeout);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}
