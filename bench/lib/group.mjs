// The rigs of one scenario, one per target, alive together so that rounds can be
// interleaved (ws, socket.io, nestjs-realtime, then again in a rotated order): a
// disturbance of the shared machine then hits every target alike. A target that
// fails is recorded and left out of the following rounds; the others go on.
import { BenchFailure } from './phase.mjs';
import { Rig } from './rig.mjs';

export class Group {
  constructor(scenario, label, options, onFailure) {
    this.scenario = scenario;
    this.label = label;
    this.options = options;
    this.onFailure = onFailure;
    this.rigs = [];
    this.entries = [];
    this.round = 0;
    /** Fields every entry starts with (e.g. the burst size). */
    this.base = {};
  }

  /** Starts one rig per target; `startFor(target)` gives its Rig.start options. */
  async start(targets, startFor) {
    for (const target of targets) {
      const rig = new Rig(target, this.options);
      rig.entry = { target, ...this.base };
      this.entries.push(rig.entry);
      this.rigs.push(rig);
      try {
        await rig.start({
          workers: this.options.params.workers,
          ...startFor(target),
        });
      } catch (error) {
        this.fail(rig, error);
      }
    }
    return this;
  }

  live() {
    return this.rigs.filter((rig) => !rig.entry.failed);
  }

  /** Runs `fn(rig)` for every live rig in turn, in an order rotated on each call when `rotate`. */
  async each(fn, { rotate = false } = {}) {
    let rigs = this.live();
    if (rotate && rigs.length > 1) {
      const k = this.round++ % rigs.length;
      rigs = [...rigs.slice(k), ...rigs.slice(0, k)];
    }
    for (const rig of rigs) {
      if (rig.entry.failed) continue;
      try {
        await fn(rig);
      } catch (error) {
        this.fail(rig, error);
      }
    }
  }

  fail(rig, error) {
    const message = this.timedOut
      ? `timed out (${error.message})`
      : error instanceof BenchFailure
        ? error.message
        : (error?.stack ?? String(error));
    rig.entry.failed = message;
    rig.kill();
    this.onFailure({
      scenario: this.scenario,
      target: rig.target,
      label: this.label,
      message,
    });
  }

  /** The watchdog: kills every process of the group; pending requests then fail. */
  kill() {
    this.timedOut = true;
    for (const rig of this.rigs) rig.kill();
  }

  async stop() {
    await Promise.all(this.rigs.map((rig) => rig.stop()));
  }
}
