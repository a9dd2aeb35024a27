import { type ChildProcess, spawn } from 'node:child_process';
import { exited, trackProcess, waitExit } from './reaper';

/** CPU-bound child processes that keep the machine busy, as a loaded CI host is. */
export interface CpuBurners {
  /** Their pids (for logs: they are stopped by `stop`, never by name). */
  readonly pids: readonly number[];
  /** How many are still burning. */
  running(): number;
  /** SIGKILL each by its pid and wait (bounded) for it to exit. */
  stop(): Promise<void>;
}

/** The burner: a busy loop that ends by itself after `ms` (argv[1]), whatever happens to the test. */
const BURN = `
const end = Date.now() + Number(process.argv[1]);
process.stdout.write('BURNING\\n');
let spins = 0;
while (Date.now() < end) spins++;
`;

/** A burner never outlives this, even if nobody stops it (the reaper also kills it with the test process). */
const MAX_BURN = 60_000;
const START_TIMEOUT = 5_000;
const EXIT_TIMEOUT = 5_000;

function startOne(ms: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', BURN, String(ms)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  trackProcess(child);
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (!error) return resolve(child);
      if (!exited(child)) child.kill('SIGKILL');
      reject(error);
    };
    const onData = () => done();
    const onExit = () => done(new Error('a CPU burner exited before burning'));
    const onError = (error: Error) => done(error);
    const timer = setTimeout(
      () => done(new Error(`a CPU burner did not start in ${START_TIMEOUT}`)),
      START_TIMEOUT,
    );
    child.stdout?.once('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Starts `count` busy loops, each ending by itself after `ms` (at most 60 s). */
export async function startCpuBurners(
  count: number,
  ms: number,
): Promise<CpuBurners> {
  const duration = Math.min(ms, MAX_BURN);
  const children = await Promise.all(
    Array.from({ length: count }, () => startOne(duration)),
  );
  for (const child of children) child.stdout?.resume();
  return {
    pids: children.map((child) => child.pid as number),
    running: () => children.filter((child) => !exited(child)).length,
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          if (exited(child)) return;
          child.kill('SIGKILL');
          if (!(await waitExit(child, EXIT_TIMEOUT)))
            throw new Error(`CPU burner ${child.pid} did not exit`);
        }),
      );
    },
  };
}
