// The part every bench server shares: the IPC control channel (pushes, CPU, memory).
// Pushes are made by the server process itself, so no HTTP request is in the
// measurement; each target only supplies `publish(message)`.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { now, serveCommands } from '../lib/ipc.mjs';

// {"seq":123,"t":1763797000123.456,"pad":"…"} is about 100 bytes of JSON.
const PAD = 'x'.repeat(58);

/** The one payload every target delivers; `t` is when it was (or was due to be) pushed. */
function message(seq, t) {
  return { seq, t, pad: PAD };
}

/** Options the orchestrator passed in `BENCH_SERVER` (JSON). */
export function serverConfig() {
  return JSON.parse(process.env.BENCH_SERVER || '{}');
}

function fail(error) {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
}

/**
 * `start()` resolves `{ port, publish(message), connections(), commands? }`; then the
 * process reports `ready` and answers the orchestrator's commands (`commands`: more of
 * them, e.g. nestjs-realtime's `presenceStats`).
 */
export async function runServer(start) {
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  const target = await start(serverConfig());
  let publishErrors = 0;
  let lastPublishError = '';
  const onPublishError = (error) => {
    publishErrors++;
    lastPublishError = String(error?.message ?? error);
  };
  /** Pushes message `seq`; `then` (optional) runs once the push returned (its Promise settled, for a target whose push is async). */
  const publish = (seq, t = now(), then) => {
    const m = message(seq, t);
    const result = target.publish(m);
    if (result && typeof result.then === 'function') {
      result.then(undefined, onPublishError);
      if (then) result.then(then, then);
    } else if (then) queueMicrotask(then);
    return m.t;
  };

  // Event-loop delay and GC pauses since the last `stats({ reset: true })`: where a
  // server's latency tail comes from.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });

  // A CPU profile of the measured phases only (`--profile`), next to --cpu-prof's whole-process one.
  let session;
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );

  serveCommands({
    ...target.commands,
    heapSnapshot: ({ file }) => {
      global.gc?.();
      return { file: writeHeapSnapshot(file) };
    },
    profileStart: async () => {
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 100 });
      await post('Profiler.start');
    },
    profileStop: async ({ file }) => {
      const { profile } = await post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      return { file };
    },
    stats: ({ reset }) => {
      const result = {
        cpu: process.cpuUsage(),
        memory: process.memoryUsage(),
        connections: target.connections(),
        publishErrors,
        lastPublishError,
        eventLoopDelay: {
          p99Ms: loop.percentile(99) / 1e6,
          maxMs: loop.max / 1e6,
        },
        gc: { ...gc },
      };
      if (reset) {
        loop.reset();
        Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0 });
      }
      return result;
    },
    gc: async () => {
      // Several passes with turns of the event loop between, so finalizers run.
      for (let i = 0; i < 3; i++) {
        global.gc?.();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return {
        memory: process.memoryUsage(),
        gc: typeof global.gc === 'function',
      };
    },
    // Burst: `count` messages, `batch` per event-loop turn (setImmediate between).
    // `awaited`: the next turn's pushes wait until the last push returned, as a user's
    // `for (…) await realtime.push(…)` loop does (a synchronous push returns at once).
    burst: ({ from, count, batch = 1, awaited = false }) =>
      new Promise((resolve, reject) => {
        let seq = from;
        const end = from + count;
        let firstT;
        const next = () => {
          if (seq < end) setImmediate(step);
          else resolve({ firstT, lastT: now() });
        };
        const step = () => {
          try {
            for (let i = 0; i < batch && seq < end; i++, seq++) {
              const last = awaited && (i === batch - 1 || seq === end - 1);
              const t = publish(seq, now(), last ? next : undefined);
              firstT ??= t;
            }
          } catch (error) {
            reject(error);
            return;
          }
          if (!awaited) next();
        };
        step();
      }),
    // Steady rate: message i is due at start + i / rate and stamped with that time, so
    // a server that falls behind the schedule shows it in the latency (no coordinated
    // omission); late messages catch up at once.
    paced: ({ from, count, rate }) =>
      new Promise((resolve, reject) => {
        const start = now();
        const end = from + count;
        let seq = from;
        let firstT;
        const tick = () => {
          try {
            const due = Math.min(
              end,
              from + Math.floor(((now() - start) * rate) / 1000) + 1,
            );
            while (seq < due) {
              const t = publish(seq, start + ((seq - from) * 1000) / rate);
              seq++;
              firstT ??= t;
            }
          } catch (error) {
            reject(error);
            return;
          }
          if (seq >= end) return resolve({ firstT, lastT: now() });
          const next = start + ((seq - from) * 1000) / rate;
          setTimeout(tick, Math.max(0, next - now()));
        };
        tick();
      }),
  });
  process.send({ event: 'ready', port: target.port, pid: process.pid });
}
