import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { exited, trackDir, trackProcess, untrackDir, waitExit } from './reaper';
import { requiredInCi } from './required-in-ci';

/** A throwaway `redis-server` (never daemonized) on a loopback port. */
export interface RedisProcess {
  /** Current port (unchanged by restart). */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Working directory (AOF lives here when persisted); a fresh one after `restart({ keepData: false })`. */
  readonly dir: string;
  /** Current pid (changes on restart). */
  readonly pid: number;
  /** SIGTERM, wait for exit (SIGKILL after 3 s), remove the directory. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: data is lost unless persisted (AOF, fsync always). */
  kill(): Promise<void>;
  /**
   * Starts the server again on the same port. `keepData: false` (default): SIGKILL,
   * fresh empty dir. `keepData: true` (needs `persist: true`): `redis-cli shutdown`,
   * same dir, so the AOF is replayed and the data survives.
   */
  restart(options?: { keepData?: boolean }): Promise<void>;
}

/** A throwaway Redis Cluster (masters only, no replicas). */
export interface RedisCluster {
  nodes: Array<{ host: '127.0.0.1'; port: number }>;
  /** Stops every node and removes their directories. */
  stop(): Promise<void>;
}

export type RespReply = string | number | null | Error | RespReply[];

const HOST = '127.0.0.1';
const READY_TIMEOUT = 10_000;
const CLUSTER_TIMEOUT = 20_000;
const STOP_GRACE = 3_000;
const EXIT_WAIT = 5_000;
const PORT_FREE_TIMEOUT = 5_000;
const ALL_SLOTS = 16_384;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** First executable `name` on PATH, without a shell. */
function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function redisServerPath(): string | undefined {
  return which('redis-server');
}

export function redisCliPath(): string | undefined {
  return which('redis-cli');
}

/** `redis-server` and `redis-cli` are both on PATH (under CI=true: throws when they are not). */
export function redisAvailable(): boolean {
  return requiredInCi(
    'redis-server/redis-cli',
    redisServerPath() !== undefined && redisCliPath() !== undefined,
  );
}

/** A loopback TCP port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

async function waitPortFree(port: number, timeout = PORT_FREE_TIMEOUT) {
  const deadline = Date.now() + timeout;
  while (!(await portIsFree(port))) {
    if (Date.now() > deadline)
      throw new Error(`port ${port} still in use after ${timeout} ms`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------
// A minimal RESP2 client: one command per connection, bounded in time.

function encode(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

/** Parses one reply at `offset`; undefined when the buffer is incomplete. */
function parse(
  buf: Buffer,
  offset: number,
): { value: RespReply; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new Error(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buf.length < after + length + 2) return undefined;
      return {
        value: buf.toString('utf8', after, after + length),
        next: after + length + 2,
      };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespReply[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

/**
 * Sends one command to 127.0.0.1:`port` over a fresh raw TCP connection and
 * resolves its reply (RESP2; an error reply resolves as an `Error` value).
 */
export function redisCommand(
  port: number,
  args: readonly string[],
  timeout = 2_000,
): Promise<RespReply> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const socket = createConnection({ host: HOST, port });
    const finish = (error: Error | undefined, value?: RespReply) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value as RespReply);
    };
    const timer = setTimeout(
      () =>
        finish(new Error(`${args[0]} on port ${port}: no reply in ${timeout}`)),
      timeout,
    );
    socket.once('error', (error) => finish(error));
    socket.once('close', () =>
      finish(new Error(`${args[0]} on port ${port}: connection closed`)),
    );
    socket.once('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const reply = parse(buf, 0);
        if (reply) finish(undefined, reply.value);
      } catch (error) {
        finish(error as Error);
      }
    });
  });
}

async function pong(port: number): Promise<boolean> {
  try {
    return (await redisCommand(port, ['PING'], 500)) === 'PONG';
  } catch {
    return false;
  }
}

function redisCli(args: readonly string[], timeout = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      redisCliPath() ?? 'redis-cli',
      args,
      { timeout, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'realtime-redis-'));
  trackDir(dir);
  return dir;
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  untrackDir(dir);
}

async function killHard(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGKILL');
  if (!(await waitExit(child, EXIT_WAIT)))
    throw new Error(`redis-server ${child.pid} did not die after SIGKILL`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGTERM');
  if (await waitExit(child, STOP_GRACE)) return;
  await killHard(child);
}

/** Spawns redis-server and waits (bounded) until it answers PING. */
async function spawnRedis(port: number, args: string[]): Promise<ChildProcess> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not on PATH');
  const child = spawn(bin, ['--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackProcess(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 16_384) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const spawnError = new Promise<Error>((resolve) =>
    child.once('error', resolve),
  );
  let error: Error | undefined;
  void spawnError.then((e) => (error = e));

  const deadline = Date.now() + READY_TIMEOUT;
  for (;;) {
    if (error) throw error;
    if (exited(child))
      throw new Error(
        `redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}) before answering PING:\n${output}`,
      );
    if (await pong(port)) return child;
    if (Date.now() > deadline) {
      await killHard(child);
      throw new Error(
        `redis-server on port ${port} did not answer PING within ${READY_TIMEOUT} ms:\n${output}`,
      );
    }
    await sleep(50);
  }
}

function serverArgs(dir: string, persist: boolean, extra: string[] = []) {
  return [
    '--bind',
    HOST,
    '--save',
    '',
    '--appendonly',
    persist ? 'yes' : 'no',
    ...(persist ? ['--appendfsync', 'always'] : []),
    '--dir',
    dir,
    '--protected-mode',
    'no',
    '--loglevel',
    'warning',
    ...extra,
  ];
}

/**
 * Spawns a redis-server on `port` (or a free one, retried if another process
 * grabbed it first) in a fresh directory.
 */
async function spawnInFreshDir(
  port: number | undefined,
  args: (dir: string) => string[],
): Promise<{ child: ChildProcess; port: number; dir: string }> {
  for (let attempt = 1; ; attempt++) {
    const chosen = port ?? (await freePort());
    const dir = freshDir();
    try {
      return { child: await spawnRedis(chosen, args(dir)), port: chosen, dir };
    } catch (error) {
      removeDir(dir);
      if (port !== undefined || attempt >= 3) throw error;
    }
  }
}

/** Starts a standalone redis-server on 127.0.0.1 (never 6379). */
export async function startRedis(
  options: { port?: number; persist?: boolean } = {},
): Promise<RedisProcess> {
  const persist = options.persist ?? false;
  if (options.port === 6379)
    throw new Error('port 6379 belongs to the system Redis');
  const first = await spawnInFreshDir(options.port, (dir) =>
    serverArgs(dir, persist),
  );
  const port = first.port;
  let child = first.child;
  let dir = first.dir;
  let stopped = false;

  return {
    port,
    url: `redis://${HOST}:${port}`,
    get dir() {
      return dir;
    },
    get pid() {
      return child.pid as number;
    },
    async stop() {
      stopped = true;
      await terminate(child);
      removeDir(dir);
    },
    kill: () => killHard(child),
    async restart(opts = {}) {
      if (stopped) throw new Error('restart() after stop()');
      const keepData = opts.keepData ?? false;
      if (keepData && !persist)
        throw new Error(
          'restart({ keepData: true }) needs startRedis({ persist: true })',
        );
      if (keepData) {
        if (!exited(child)) {
          // SHUTDOWN fsyncs the AOF; the reply is the connection closing.
          await redisCli(['-h', HOST, '-p', String(port), 'shutdown']).catch(
            () => undefined,
          );
          if (!(await waitExit(child, EXIT_WAIT))) await killHard(child);
        }
      } else {
        await killHard(child);
        removeDir(dir);
        dir = freshDir();
      }
      await waitPortFree(port);
      child = await spawnRedis(port, serverArgs(dir, persist));
    },
  };
}

async function waitClusterReady(ports: number[]): Promise<void> {
  const deadline = Date.now() + CLUSTER_TIMEOUT;
  let last = '';
  for (;;) {
    try {
      let ok = true;
      for (const port of ports) {
        const info = await redisCommand(port, ['CLUSTER', 'INFO']);
        if (typeof info !== 'string' || !/cluster_state:ok/.test(info)) {
          last = `node ${port}: ${String(info).split('\r\n')[0]}`;
          ok = false;
          break;
        }
        const slots = await redisCommand(port, ['CLUSTER', 'SLOTS']);
        let covered = 0;
        const owners = new Set<number>();
        if (Array.isArray(slots))
          for (const range of slots) {
            if (!Array.isArray(range)) continue;
            covered += Number(range[1]) - Number(range[0]) + 1;
            const master = range[2];
            if (Array.isArray(master)) owners.add(Number(master[1]));
          }
        if (covered !== ALL_SLOTS || owners.size !== ports.length) {
          last = `node ${port}: ${covered} slots covered by ${owners.size} masters`;
          ok = false;
          break;
        }
      }
      if (ok) return;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`cluster not ready in ${CLUSTER_TIMEOUT} ms: ${last}`);
    await sleep(100);
  }
}

/** Starts `masters` (default 3, at least 3) cluster-enabled nodes and joins them. */
export async function startCluster(
  options: { masters?: number } = {},
): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  const started: Array<{ child: ChildProcess; port: number; dir: string }> = [];
  const stop = async () => {
    await Promise.all(started.map((node) => terminate(node.child)));
    for (const node of started) removeDir(node.dir);
  };
  try {
    for (let i = 0; i < masters; i++)
      started.push(
        await spawnInFreshDir(undefined, (dir) =>
          serverArgs(dir, false, [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '2000',
          ]),
        ),
      );
    const ports = started.map((node) => node.port);
    await redisCli(
      [
        '--cluster',
        'create',
        ...ports.map((port) => `${HOST}:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      20_000,
    );
    await waitClusterReady(ports);
    return {
      nodes: ports.map((port) => ({ host: HOST, port })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
