// A load-generator worker: holds a share of the bench clients, checks that every
// client receives every seq of a phase exactly once and in order, and records the
// push → receipt latency of each delivery. Driven by the orchestrator over IPC.
import {
  connectClient,
  reconnectClient,
  decodeFrame,
  releasePageConnections,
} from './lib/clients.mjs';
import { now, serveCommands } from './lib/ipc.mjs';

const MAX_SAMPLES = 10;
const KINDS = ['duplicate', 'gap', 'extra', 'closed', 'malformed'];
const clients = [];
const errors = {
  duplicate: 0,
  gap: 0,
  extra: 0,
  closed: 0,
  malformed: 0,
  samples: [],
};
let target = '';
/** The client code of the last connect (reconnect uses it too). */
let stackUsed;
/** Clients closed by close({ keep: true }), for reconnect(). */
const closedClients = [];
/**
 * Presence frames (`{"channel":…,"presence":{"join"|"leave":…}}`): not part of any
 * phase, counted. While `tracking`, each client also keeps the users it was told
 * joined, to count a join of a user already present (`duplicateJoin`) and a leave of
 * one that never joined (`unknownLeave`).
 */
const presence = {
  join: 0,
  leave: 0,
  duplicateJoin: 0,
  unknownLeave: 0,
  foreignJoin: 0,
  samples: [],
};
let tracking = true;
/** With `channels`: the channel of user `u<i>` (loadgen's rule), for the foreign-join check. */
let channelOfUser;

// The current phase: seqs [from, end), expected deliveries, latencies.
const phase = {
  from: 0,
  end: 0,
  expected: 0,
  delivered: 0,
  latencies: new Float64Array(0),
  firstRecv: 0,
  lastRecv: 0,
  done: null,
  cpu: null,
};

const FAIL_GRACE_MS = 1_000;

function error(kind, detail) {
  errors[kind]++;
  if (errors.samples.length < MAX_SAMPLES)
    errors.samples.push(`${kind}: ${detail}`);
  // A phase with an error cannot pass: end the wait soon (after a moment to
  // collect more of what went wrong) instead of at its timeout.
  if (phase.fail && !phase.failing) {
    phase.failing = true;
    setTimeout(() => phase.fail?.(), FAIL_GRACE_MS);
  }
}

class BenchClient {
  constructor(index) {
    this.index = index;
    this.next = 0;
    this.ws = null;
    this.closing = false;
    /** The first frame of each phase is also decoded in full and compared. */
    this.mustCheck = true;
  }

  deliver(seq, t) {
    const received = now();
    if (seq === this.next && seq < phase.end) {
      this.next++;
      const n = phase.delivered++;
      phase.latencies[n] = received - t;
      if (n === 0) phase.firstRecv = received;
      phase.lastRecv = received;
      if (phase.delivered === phase.expected && phase.done) phase.done();
    } else if (seq < this.next) {
      error(
        'duplicate',
        `client ${this.index} got seq ${seq} again (next ${this.next})`,
      );
    } else if (seq >= phase.end) {
      error(
        'extra',
        `client ${this.index} got seq ${seq} outside the phase [${phase.from}, ${phase.end})`,
      );
    } else {
      error(
        'gap',
        `client ${this.index} got seq ${seq}, expected ${this.next} (lost or out of order)`,
      );
      this.next = seq + 1;
    }
  }

  check(text, seq) {
    this.mustCheck = false;
    const payload = decodeFrame(target, text);
    if (
      payload.seq !== seq ||
      typeof payload.t !== 'number' ||
      typeof payload.pad !== 'string'
    )
      throw new Error(
        `payload ${JSON.stringify(payload).slice(0, 80)} does not match seq ${seq}`,
      );
  }

  onPresence(kind, userOf) {
    presence[kind]++;
    if (!tracking) return;
    const user = userOf();
    this.present ??= new Set();
    const sample = (what) => {
      if (presence.samples.length < MAX_SAMPLES)
        presence.samples.push(
          `client ${this.index} (${this.channel}): ${what} ${user}`,
        );
    };
    if (kind === 'join') {
      if (this.present.has(user)) {
        presence.duplicateJoin++;
        sample('join again of');
      } else this.present.add(user);
      if (channelOfUser && channelOfUser(user) !== this.channel) {
        presence.foreignJoin++;
        sample(`join of ${channelOfUser(user)}'s`);
      }
    } else if (!this.present.delete(user)) {
      presence.unknownLeave++;
      sample('leave of never joined');
    }
  }

  malformed(e) {
    error('malformed', `client ${this.index}: ${e.message}`);
  }

  onClose(code) {
    if (!this.closing)
      error('closed', `client ${this.index} closed by the server (${code})`);
  }
}

function snapshotErrors() {
  const total = KINDS.reduce((n, kind) => n + errors[kind], 0);
  return { ...errors, total, samples: [...errors.samples] };
}

function closeSocket(ws) {
  if (typeof ws.once !== 'function') return Promise.resolve(ws.close()); // raw client, socket.io-client
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', resolve);
    ws.close();
  });
}

serveCommands({
  // Opens `count` clients (global indexes from `first`), `concurrency` at a time;
  // client i talks to `bases[i % bases.length]` and subscribes to `channel`, or with
  // `channels` to channels[floor(i / bases.length) % channels.length] (so that each
  // channel has clients on every base); `identify`: its page render identifies `u<i>`.
  async connect({
    target: name,
    bases,
    first,
    count,
    concurrency,
    channel,
    channels,
    identify,
    stack,
  }) {
    target = name;
    stackUsed = stack;
    const channelOf = (index) =>
      channels
        ? channels[Math.floor(index / bases.length) % channels.length]
        : channel;
    if (channels) channelOfUser = (user) => channelOf(Number(user.slice(1)));
    const times = new Float64Array(count);
    let nextIndex = 0;
    const failures = [];
    const lane = async () => {
      while (nextIndex < count && failures.length === 0) {
        const i = nextIndex++;
        const client = new BenchClient(first + i);
        client.next = phase.end;
        const t0 = now();
        const index = first + i;
        const base = bases[index % bases.length];
        client.channel = channelOf(index);
        try {
          await connectClient(
            target,
            client,
            base,
            client.channel,
            stack,
            identify ? `u${index}` : undefined,
          );
          clients.push(client);
          times[i] = now() - t0;
        } catch (e) {
          failures.push(`client ${first + i}: ${e.message}`);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, lane),
    );
    releasePageConnections();
    if (failures.length)
      throw new Error(`connect failed: ${failures.slice(0, 3).join('; ')}`);
    return { connected: count, times };
  },

  // Starts a phase: seqs [from, from + count) to every client.
  expect({ from, count }) {
    for (const client of clients) {
      if (client.next !== from)
        error(
          'gap',
          `client ${client.index} was at seq ${client.next} when the phase from ${from} began`,
        );
      client.next = from;
      client.mustCheck = true;
    }
    phase.from = from;
    phase.end = from + count;
    phase.expected = clients.length * count;
    phase.delivered = 0;
    phase.firstRecv = 0;
    phase.lastRecv = 0;
    if (phase.latencies.length < phase.expected)
      phase.latencies = new Float64Array(phase.expected);
    phase.done = null;
    phase.cpu = process.cpuUsage();
    return { clients: clients.length, expected: phase.expected };
  },

  // Resolves when the phase is complete, or after `timeoutMs` with what arrived.
  wait({ timeoutMs }) {
    return new Promise((resolve) => {
      const finish = (complete) => {
        clearTimeout(timer);
        phase.done = null;
        phase.fail = null;
        const cpu = process.cpuUsage(phase.cpu);
        const missing = complete
          ? []
          : clients
              .filter((c) => c.next < phase.end)
              .slice(0, MAX_SAMPLES)
              .map(
                (c) =>
                  `client ${c.index} stopped at seq ${c.next} of [${phase.from}, ${phase.end})`,
              );
        resolve({
          complete,
          cpuUs: cpu.user + cpu.system,
          expected: phase.expected,
          delivered: phase.delivered,
          latencies: phase.latencies.slice(0, phase.delivered),
          firstRecv: phase.firstRecv,
          lastRecv: phase.lastRecv,
          missing,
          errors: snapshotErrors(),
        });
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      phase.failing = false;
      if (snapshotErrors().total > 0 || phase.delivered >= phase.expected)
        finish(phase.delivered >= phase.expected);
      else {
        phase.done = () => finish(true);
        phase.fail = () => finish(false);
      }
    });
  },

  check: () => ({ clients: clients.length, errors: snapshotErrors() }),

  // The presence counts; `forget`: stop tracking users per client (frees the sets
  // before a measured phase).
  presence({ forget }) {
    if (forget) {
      tracking = false;
      for (const client of clients) client.present = undefined;
    }
    return { ...presence, samples: [...presence.samples] };
  },

  // Opens every client the last close({ keep }) closed again (see reconnectClient),
  // `concurrency` at a time.
  async reconnect({ concurrency }) {
    const from = closedClients.splice(0);
    const times = new Float64Array(from.length);
    let next = 0;
    const failures = [];
    const lane = async () => {
      while (next < from.length && failures.length === 0) {
        const i = next++;
        const client = new BenchClient(from[i].index);
        client.next = phase.end;
        client.channel = from[i].channel;
        const t0 = now();
        try {
          await reconnectClient(target, client, from[i], stackUsed);
          clients.push(client);
          times[i] = now() - t0;
        } catch (e) {
          failures.push(`client ${client.index}: ${e.message}`);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, from.length) }, lane),
    );
    if (failures.length)
      throw new Error(`reconnect failed: ${failures.slice(0, 3).join('; ')}`);
    return { connected: from.length, times };
  },

  // Closes every client and forgets it (waits up to 3 s for the closing handshakes);
  // `keep`: remembers them for reconnect().
  async close({ keep } = {}) {
    const closed = clients.splice(0);
    if (keep) closedClients.push(...closed);
    for (const client of closed) client.closing = true;
    await Promise.race([
      Promise.all(closed.map((c) => closeSocket(c.ws))),
      new Promise((resolve) => setTimeout(resolve, 3_000)),
    ]);
    for (const client of closed) client.ws.terminate?.();
    return { closed: closed.length };
  },
});
process.send({ event: 'ready' });
