// A load-generator worker of the churn scenario: holds a share of the clients (each
// the target's own reconnecting client, lib/churn-sockets.mjs), drops each one's TCP
// connection at a random time a few seconds after every open while the phase runs,
// and counts per client what arrived: every seq of [from, from + count) must arrive
// exactly once and in order. Driven by the orchestrator over IPC (lib/churn.mjs).
import { releasePageConnections } from './lib/clients.mjs';
import { openRealtime, openSocketIo } from './lib/churn-sockets.mjs';
import { now, serveCommands } from './lib/ipc.mjs';

const MAX_SAMPLES = 10;
const clients = [];

const phase = {
  from: 0,
  end: 0,
  dropping: false,
  minMs: 0,
  maxMs: 0,
  latencies: new Float64Array(0),
  delivered: 0,
  lastRecv: 0,
};

function freshTally() {
  return {
    delivered: 0,
    duplicates: 0,
    reordered: 0,
    extra: 0,
    drops: 0,
    opens: 0,
    closes: 0,
    resumes: 0,
    recoveredFalse: 0,
    /** Clients with at least one recovered:false or no-resume reconnect. */
    unrecoveredClients: 0,
    reasons: {},
    noResume: 0,
    samples: [],
  };
}
let tally = freshTally();

function sample(text) {
  if (tally.samples.length < MAX_SAMPLES) tally.samples.push(text);
}

class ChurnClient {
  constructor(index) {
    this.index = index;
    this.handle = null;
    this.seen = null;
    this.highest = -1;
    this.timer = undefined;
    this.unrecovered = false;
    /** Told by a recovered:false resume that something of the phase is lost. */
    this.told = false;
    this.received = 0;
    /** The avalanche: when dropAll() dropped it, then how long until it was open again and had every seq so far. */
    this.droppedAt = undefined;
    this.reopenMs = undefined;
    this.backMs = undefined;
  }

  onOpen() {
    tally.opens++;
    if (this.droppedAt !== undefined && this.reopenMs === undefined)
      this.reopenMs = now() - this.droppedAt;
    this.scheduleDrop();
  }

  onClose() {
    tally.closes++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next drop: uniform in [minMs, maxMs) after this open, while the phase drops. */
  scheduleDrop() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!phase.dropping || !this.handle) return;
    const delay = phase.minMs + Math.random() * (phase.maxMs - phase.minMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!phase.dropping || !this.handle.isOpen()) return;
      tally.drops++;
      this.handle.drop();
    }, delay);
  }

  onMessage(seq, t) {
    const received = now();
    const i = seq - phase.from;
    if (!this.seen || !(seq >= phase.from && seq < phase.end)) {
      tally.extra++;
      sample(`client ${this.index}: seq ${seq} outside the phase`);
      return;
    }
    if (this.seen[i]) {
      tally.duplicates++;
      sample(`client ${this.index}: seq ${seq} again`);
      return;
    }
    this.seen[i] = 1;
    if (seq < this.highest) {
      tally.reordered++;
      sample(`client ${this.index}: seq ${seq} after ${this.highest}`);
    } else this.highest = seq;
    this.received++;
    // Back after the avalanche: nothing missing below the newest seq it has.
    if (
      this.droppedAt !== undefined &&
      this.backMs === undefined &&
      this.received === this.highest - phase.from + 1
    )
      this.backMs = received - this.droppedAt;
    tally.delivered++;
    phase.latencies[phase.delivered++] = received - t;
    phase.lastRecv = received;
  }

  onResume(resume) {
    tally.resumes++;
    if (resume.recovered) return;
    tally.recoveredFalse++;
    this.told = true;
    this.markUnrecovered();
    for (const reason of Object.values(resume.failed ?? {}))
      tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
  }

  onNoResume() {
    tally.noResume++;
    this.markUnrecovered();
  }

  markUnrecovered() {
    if (this.unrecovered) return;
    this.unrecovered = true;
    tally.unrecoveredClients++;
  }

  /** The first seq of the phase this client never got, or -1. */
  firstMissing() {
    const i = this.seen ? this.seen.indexOf(0) : 0;
    return i < 0 ? -1 : phase.from + i;
  }
}

/** After dropAll(): per dropped client, ms to its next open and to having every seq (sorted), and how many never got there. */
function avalancheTimes() {
  const dropped = clients.filter((c) => c.droppedAt !== undefined);
  const sorted = (key) =>
    Float64Array.from(
      dropped.filter((c) => c[key] !== undefined).map((c) => c[key]),
    ).sort();
  return {
    reopenMs: sorted('reopenMs'),
    backMs: sorted('backMs'),
    notBack: dropped.filter((c) => c.backMs === undefined).length,
  };
}

async function openClient(target, client, base, channel) {
  return target === 'socket.io'
    ? openSocketIo(base, client)
    : openRealtime(base, channel, client);
}

serveCommands({
  // Opens `count` clients (global indexes from `first`), `concurrency` at a time,
  // client i on `bases[i % bases.length]`, and waits for each one's first open.
  async connect({ target, bases, first, count, concurrency, channel }) {
    let nextIndex = 0;
    const failures = [];
    const lane = async () => {
      while (nextIndex < count && failures.length === 0) {
        const index = first + nextIndex++;
        const client = new ChurnClient(index);
        try {
          client.handle = await openClient(
            target,
            client,
            bases[index % bases.length],
            channel,
          );
          clients.push(client);
        } catch (e) {
          failures.push(`client ${index}: ${e.message}`);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, lane),
    );
    releasePageConnections();
    if (failures.length)
      throw new Error(`connect failed: ${failures.slice(0, 3).join('; ')}`);
    return { connected: count };
  },

  // Starts the phase: seqs [from, from + count) to every client; drops begin.
  // `dropping: false` (the avalanche): no random drops, dropAll() instead.
  start({ from, count, minMs, maxMs, dropping = true }) {
    tally = freshTally();
    Object.assign(phase, {
      from,
      end: from + count,
      dropping,
      minMs,
      maxMs,
      latencies: new Float64Array(clients.length * count),
      delivered: 0,
      lastRecv: now(),
    });
    for (const client of clients) {
      client.seen = new Uint8Array(count);
      client.highest = -1;
      client.unrecovered = false;
      client.told = false;
      client.received = 0;
      if (client.handle.isOpen()) client.scheduleDrop();
    }
    return { clients: clients.length };
  },

  // The avalanche: drops every open client's connection now (each reconnects by itself).
  dropAll() {
    const t = now();
    let dropped = 0;
    for (const client of clients) {
      if (!client.handle.isOpen()) continue;
      client.droppedAt = t;
      client.reopenMs = undefined;
      client.backMs = undefined;
      tally.drops++;
      dropped++;
      client.handle.drop();
    }
    return { dropped };
  },

  stopDrops() {
    phase.dropping = false;
    for (const client of clients) clearTimeout(client.timer);
  },

  // Resolves when every client has every seq; or when nothing arrived for `idleMs`
  // while every client is open (what is missing then is lost); or at `timeoutMs`.
  wait({ timeoutMs, idleMs }) {
    const started = now();
    const expected = clients.length * (phase.end - phase.from);
    return new Promise((resolve) => {
      const poll = () => {
        const t = now();
        const open = clients.filter((c) => c.handle.isOpen()).length;
        const reason =
          phase.delivered >= expected
            ? 'complete'
            : t - phase.lastRecv >= idleMs && open === clients.length
              ? 'idle'
              : t - started >= timeoutMs
                ? 'timeout'
                : null;
        if (reason) resolve({ reason, open, waitedMs: t - started });
        else setTimeout(poll, 100);
      };
      poll();
    });
  },

  // What arrived, per the exactly-once check; latencies of first receipts.
  report() {
    for (const client of clients) client.handle.settle();
    const count = phase.end - phase.from;
    const missing = [];
    let missingClients = 0;
    // Missing on a client that no recovered:false resume told about: a silent loss.
    let silentMissing = 0;
    let silentClients = 0;
    for (const client of clients) {
      const seq = client.firstMissing();
      if (seq < 0) continue;
      missingClients++;
      if (!client.told) {
        silentClients++;
        silentMissing += count - client.received;
      }
      if (missing.length < MAX_SAMPLES)
        missing.push(`client ${client.index} never got seq ${seq}`);
    }
    return {
      ...tally,
      clients: clients.length,
      expected: clients.length * count,
      missingClients,
      silentMissing,
      silentClients,
      missingSamples: missing,
      open: clients.filter((c) => c.handle.isOpen()).length,
      latencies: phase.latencies.slice(0, phase.delivered),
      avalanche: avalancheTimes(),
    };
  },

  close() {
    phase.dropping = false;
    for (const client of clients.splice(0)) {
      clearTimeout(client.timer);
      client.handle.close();
    }
    return {};
  },
});
process.send({ event: 'ready' });
