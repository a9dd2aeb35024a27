import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { exited, trackProcess, waitExit } from './reaper';

/** One `test/fixtures/redis-instance.cjs` app in its own process. */
export interface InstanceProcess {
  /** `http://127.0.0.1:<port>` from the READY line. */
  url: string;
  pid: number;
  /** Sends `signal` (default SIGTERM), waits for exit (SIGKILL after 10 s), resolves the exit code (null when killed by a signal). */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Whether the process ended within `timeout` ms (sends no signal). */
  ended(timeout: number): Promise<boolean>;
}

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'redis-instance.cjs');
const READY_TIMEOUT = 20_000;
const EXIT_TIMEOUT = 10_000;

/**
 * Spawns the fixture app (built package, `npm run build` first) with `env`
 * over process.env and resolves once it printed `READY <url>` (20 s at most).
 */
export function startInstanceProcess(
  env: Record<string, string>,
): Promise<InstanceProcess> {
  const child = spawn(process.execPath, [FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackProcess(child);

  let stderr = '';
  let stdout = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const instance = (url: string): InstanceProcess => ({
    url,
    pid: child.pid as number,
    async kill(signal = 'SIGTERM') {
      if (!exited(child)) {
        child.kill(signal);
        if (!(await waitExit(child, EXIT_TIMEOUT))) {
          child.kill('SIGKILL');
          await waitExit(child, EXIT_TIMEOUT);
        }
      }
      return child.exitCode;
    },
    stderr: () => stderr,
    ended: async (timeout) => exited(child) || (await waitExit(child, timeout)),
  });

  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (error: Error | undefined, url?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      if (error) {
        if (!exited(child)) child.kill('SIGKILL');
        reject(error);
      } else resolve(instance(url as string));
    };
    const onData = (chunk: string) => {
      if (stdout.length < 65_536) stdout += chunk;
      const match = /^READY (\S+)$/m.exec(stdout);
      if (match) done(undefined, match[1]);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      done(
        new Error(
          `redis-instance exited (${code ?? signal}) before READY\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    const onError = (error: Error) => done(error);
    const timer = setTimeout(
      () =>
        done(
          new Error(
            `redis-instance not READY within ${READY_TIMEOUT} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        ),
      READY_TIMEOUT,
    );
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
