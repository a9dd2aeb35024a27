import type { Logger } from '@nestjs/common';
import type { RedisClients } from './redis-clients';
import { toVoid, unavailable } from './redis-errors';

/** Backoff between attempts of a recovery that failed while connected. */
const RETRY_MIN = 100;
const RETRY_MAX = 5_000;

/**
 * The state of the two Redis connections, and when the registry must recover (SPEC
 * README "Registries and guarantees"). A dropped subscriber connection makes the instance *stale* — it may have
 * missed subscription changes, and Redis may have restarted — until `recover` ran to
 * the end with both connections up and the subscriber in sync. (A drop of the command
 * connection alone loses nothing the instance mirrors: changes still arrive, and a
 * restart of Redis drops both; a lease lost meanwhile shows up at the next renewal.)
 * A recovery that fails while connected (an error reply, a timeout) is retried with a
 * bounded backoff; after a new drop the next (re)connect starts it again.
 */
export class RedisLink {
  private stale = false;
  /** Bumped whenever the instance becomes stale, so a recovery knows it raced with that. */
  private generation = 0;
  /** The subscriber answered a PING after (re)connecting: its re-subscriptions are in effect. */
  private subscriberSynced = false;
  /** Bumped when the subscriber drops, so a PING of an earlier connection does not count. */
  private subscriberEpoch = 0;
  private recovery: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly clients: RedisClients,
    private readonly publishTimeout: number,
    private readonly logger: Logger,
    private readonly hooks: {
      /** Brings the mirrored state in line with Redis; rejects when it could not. */
      recover(): Promise<void>;
      /** The instance is no longer stale (called synchronously as it becomes so). */
      recovered(): void;
    },
  ) {}

  /** Wires the connection events; call before connecting. */
  watch(): void {
    const { command, subscriber } = this.clients;
    command.on('ready', () => this.startRecovery());
    subscriber.on('close', () => {
      this.subscriberSynced = false;
      this.subscriberEpoch++;
      this.markStale();
    });
    subscriber.on('ready', () => {
      // Replies come in order: once PING answers, every re-subscription before it is active.
      const epoch = this.subscriberEpoch;
      subscriber.ping().then(() => {
        if (epoch !== this.subscriberEpoch || subscriber.status !== 'ready')
          return;
        this.subscriberSynced = true;
        this.startRecovery();
      }, toVoid);
    });
  }

  /** A dropped connection since the last completed recovery: mirrored state may be stale. */
  get isStale(): boolean {
    return this.stale;
  }

  /** Both connections up, the subscriber in sync, and nothing left to recover. */
  isReady(): boolean {
    return !this.stale && this.connected();
  }

  /**
   * The command connection can take a command now. A socket that has ended but not yet
   * emitted 'close' still reports 'ready'; a command on it would fail at once.
   */
  commandUp(): boolean {
    const command = this.clients.command as { status: string } & {
      stream?: { writable?: boolean };
    };
    return command.status === 'ready' && command.stream?.writable !== false;
  }

  /** Waits up to publishTimeout for the command connection; then `registry_unavailable`. */
  whenReady(): Promise<void> {
    const command = this.clients.command;
    if (this.commandUp()) return Promise.resolve();
    if (this.closed) return Promise.reject(unavailable());
    return new Promise((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        command.off('ready', onReady);
        reject(unavailable());
      }, this.publishTimeout);
      command.once('ready', onReady);
    });
  }

  /** Redis may have lost or changed what this instance mirrors: recover (now, if connected). */
  markStale(): void {
    if (this.closed) return;
    this.generation++;
    this.stale = true;
    this.startRecovery();
  }

  close(): void {
    this.closed = true;
  }

  private connected(): boolean {
    return (
      this.commandUp() &&
      this.subscriberSynced &&
      this.clients.subscriber.status === 'ready'
    );
  }

  private startRecovery(): void {
    if (this.recovery || !this.stale || this.closed || !this.connected())
      return;
    this.recovery = this.runRecovery().finally(() => {
      this.recovery = undefined;
    });
  }

  private async runRecovery(): Promise<void> {
    let delay = RETRY_MIN;
    while (this.stale && !this.closed && this.connected()) {
      const generation = this.generation;
      try {
        await this.hooks.recover();
        // A connection dropped meanwhile: go round again (once it is back).
        if (generation !== this.generation) continue;
        this.stale = false;
        this.hooks.recovered();
        return;
      } catch (error) {
        if (this.closed || generation !== this.generation || !this.connected())
          continue; // a drop: the next (re)connect starts again
        this.logger.warn(
          `Redis: re-registering live views failed (${(error as Error).message}); retrying in ${delay} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, RETRY_MAX);
      }
    }
  }
}
