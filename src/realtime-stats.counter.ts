import type { ResumeFailure } from './protocol/resume';

/** Timings observed while metrics are on (README "Metrics and health"); unset otherwise, at no cost. */
export interface RealtimeTimings {
  handler(action: string, outcome: string, seconds: number): void;
  publish(seconds: number): void;
}

/** Mutable counters shared by the gateway pieces of one app; read through `RealtimeService.stats()` and the metrics. */
export class RealtimeStatsCounter {
  messagesIn = 0;
  messagesOut = 0;
  framesDropped = 0;
  slowConsumerCloses = 0;
  /** Handshakes that became sockets. */
  accepted = 0;
  readonly rejections: Record<string, number> = {};
  readonly closes: Record<string, number> = {};
  /** Sockets closed, by close code. */
  readonly disconnects: Record<string, number> = {};
  /** Resume frames: `true` when recovered, else one count per reason in `failed`. */
  readonly recoveries: {
    true: number;
    false: Partial<Record<ResumeFailure, number>>;
  } = {
    true: 0,
    false: {},
  };
  /** Registry operations that failed (`registry_unavailable`, `registry_error`), by operation. */
  readonly registryErrors: Record<string, number> = {};
  timings: RealtimeTimings | undefined;
  /** Presence transitions heard (README "Users and presence"), each once across instances. */
  readonly presence = { joins: 0, leaves: 0 };

  presenceChanged(change: 'join' | 'leave'): void {
    if (change === 'join') this.presence.joins++;
    else this.presence.leaves++;
  }

  reject(reason: string): void {
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
  }

  closed(reason: string, code: number): void {
    this.closes[reason] = (this.closes[reason] ?? 0) + 1;
    this.disconnects[code] = (this.disconnects[code] ?? 0) + 1;
  }

  /** `frames` resume frames went out with these failures (none: recovered). */
  resumed(failed: Readonly<Record<string, ResumeFailure>>, frames = 1): void {
    const reasons = new Set<ResumeFailure>();
    for (const channel in failed) reasons.add(failed[channel]);
    if (reasons.size === 0) this.recoveries.true += frames;
    const counts = this.recoveries.false;
    for (const reason of reasons)
      counts[reason] = (counts[reason] ?? 0) + frames;
  }

  registryError(op: string): void {
    this.registryErrors[op] = (this.registryErrors[op] ?? 0) + 1;
  }
}
