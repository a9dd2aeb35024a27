// One measured set-up: the server process(es) of a target and the load-generator
// workers, started fresh for each scenario and stopped after it.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOHISTORY, PRESENCE } from './config.mjs';
import { Child } from './ipc.mjs';

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
const SERVER_FILES = {
  ws: 'servers/ws.server.mjs',
  'socket.io': 'servers/socketio.server.mjs',
  'nestjs-realtime': 'servers/realtime.server.mjs',
  [NOHISTORY]: 'servers/realtime.server.mjs',
  [PRESENCE]: 'servers/realtime.server.mjs',
};
/** The presence target's server: presence frames on the bench channel. */
const PRESENCE_SERVER = { presence: ['bench'] };
const START_TIMEOUT = 30_000;

export class Rig {
  constructor(target, options) {
    this.target = target;
    /** The client code and frames of the target: NOHISTORY's and PRESENCE's are nestjs-realtime's. */
    this.kind =
      target === NOHISTORY || target === PRESENCE ? 'nestjs-realtime' : target;
    /** Page renders identify a distinct user per client (`u<index>`). */
    this.identify = target === PRESENCE;
    this.options = options;
    this.servers = [];
    this.workers = [];
    this.bases = [];
    this.clients = 0;
  }

  /**
   * `instances` servers (with `redis` URL for the cross-instance scenario) and
   * `workers` load generators (`worker`: their script, default loadgen.mjs).
   * `profile` names a .cpuprofile for the first server; `recovery` turns on
   * Socket.IO's connection state recovery (churn scenario). `server`: more module
   * options for nestjs-realtime (presence scenario: `presence`, `pendingTtl`).
   */
  async start({
    instances = 1,
    redis,
    workers,
    profile,
    recovery,
    server,
    worker = 'loadgen.mjs',
  }) {
    for (let i = 0; i < instances; i++) {
      const execArgv = ['--expose-gc'];
      if (profile && i === 0) {
        mkdirSync(dirname(profile), { recursive: true });
        execArgv.push(
          '--cpu-prof',
          `--cpu-prof-dir=${dirname(profile)}`,
          `--cpu-prof-name=${profile.split('/').pop()}`,
        );
      }
      this.servers.push(
        new Child(join(BENCH, SERVER_FILES[this.target]), {
          name: `${this.target}#${i}`,
          execArgv,
          env: {
            BENCH_SERVER: JSON.stringify({
              redis,
              recovery,
              history: this.target === NOHISTORY ? false : this.options.history,
              ...(this.target === PRESENCE ? PRESENCE_SERVER : {}),
              ...server,
            }),
          },
        }),
      );
    }
    for (let i = 0; i < workers; i++)
      this.workers.push(
        new Child(join(BENCH, worker), { name: `loadgen#${i}` }),
      );
    const ready = await Promise.all(
      this.servers.map((s) => s.waitFor('ready', START_TIMEOUT)),
    );
    await Promise.all(
      this.workers.map((w) => w.waitFor('ready', START_TIMEOUT)),
    );
    this.bases = ready.map((r) => `127.0.0.1:${r.port}`);
    return this;
  }

  /**
   * Connects `count` more clients, split across workers (and across servers by index).
   * `channels` (default `['bench']`): client i subscribes to one of them (see loadgen).
   */
  async connect(count, concurrency, timeoutMs, { channels } = {}) {
    const share = Math.ceil(count / this.workers.length);
    const lanes = Math.max(1, Math.ceil(concurrency / this.workers.length));
    const started = performance.now();
    const answers = await Promise.all(
      this.workers.map((worker, w) => {
        const first = this.clients + w * share;
        const n = Math.max(0, Math.min(share, count - w * share));
        return worker.request(
          'connect',
          {
            target: this.kind,
            bases: this.bases,
            first,
            count: n,
            concurrency: lanes,
            channel: 'bench',
            channels,
            identify: this.identify,
            stack: this.options.client,
          },
          timeoutMs,
        );
      }),
    );
    this.clients += count;
    return {
      ms: performance.now() - started,
      times: answers.map((a) => a.times),
    };
  }

  /** `keep`: the workers remember each client's view (id, key) for `reconnect()`. */
  async closeClients({ keep = false } = {}) {
    await Promise.all(
      this.workers.map((w) => w.request('close', { keep }, 10_000)),
    );
    this.clients = 0;
  }

  /**
   * Opens a socket again for every client the last `closeClients({ keep: true })`
   * closed: nestjs-realtime with the view's id and key and no page render (as a
   * browser client reconnects), the others with a new handshake.
   */
  async reconnect(concurrency, timeoutMs) {
    const lanes = Math.max(1, Math.ceil(concurrency / this.workers.length));
    const started = performance.now();
    const answers = await Promise.all(
      this.workers.map((w) =>
        w.request('reconnect', { concurrency: lanes }, timeoutMs),
      ),
    );
    const count = answers.reduce((n, a) => n + a.connected, 0);
    this.clients += count;
    return {
      count,
      ms: performance.now() - started,
      times: answers.map((a) => a.times),
    };
  }

  /** `reset`: start a new window for the event-loop delay and GC figures. */
  stats(reset = false) {
    return Promise.all(this.servers.map((s) => s.request('stats', { reset })));
  }

  gc() {
    return Promise.all(this.servers.map((s) => s.request('gc')));
  }

  /**
   * Presence frames the workers' clients received so far: `{ join, leave,
   * duplicateJoin, unknownLeave }`; `forget`: the workers stop tracking users.
   */
  async presenceFrames(forget = false) {
    const answers = await Promise.all(
      this.workers.map((w) => w.request('presence', { forget }, 10_000)),
    );
    const total = { samples: [] };
    for (const { samples, ...counts } of answers) {
      for (const [key, n] of Object.entries(counts))
        total[key] = (total[key] ?? 0) + n;
      total.samples.push(...samples);
    }
    total.samples = total.samples.slice(0, 10);
    return total;
  }

  async stop() {
    await Promise.all([...this.workers, ...this.servers].map((c) => c.stop()));
  }

  kill() {
    for (const child of [...this.workers, ...this.servers]) child.kill();
  }
}
