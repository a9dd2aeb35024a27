import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConnectionHub } from '../gateway/connection-hub';
import type { ResolvedRealtimeOptions } from '../options';
import { REALTIME_OPTIONS } from '../realtime.constants';
import { METRICS_TAKEN } from '../realtime.messages';
import { RealtimeStatsCounter } from '../realtime-stats.counter';
import {
  loadPromClient,
  type PromClient,
  type PromCounter,
  type PromGauge,
  type PromRegistry,
} from './prom-client-loader';

/** Seconds: a handler answers in ms to seconds; a push is accepted in µs (memory) to ms (Redis). */
const HANDLER_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];
const PUBLISH_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1];

/**
 * SPEC §12 (README "Metrics and health"): with `metrics` on, the module's figures as
 * prom-client collectors. Gauges and counters are read from the app's counters when
 * scraped (nothing is done per delivery); the two histograms are observed as handlers
 * answer and pushes are accepted. No label carries a channel name, an id or a digest.
 */
@Injectable()
export class RealtimeMetrics implements OnModuleInit, OnApplicationShutdown {
  private registered: string[] = [];
  private registry: PromRegistry | undefined;

  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    private readonly stats: RealtimeStatsCounter,
    private readonly hub: ConnectionHub,
  ) {}

  onModuleInit(): void {
    const setting = this.options.metrics;
    if (!setting) return;
    const prom = loadPromClient();
    const registry =
      (setting.registry as PromRegistry | undefined) ?? prom.register;
    const prefix = setting.prefix;
    for (const name of NAMES) {
      if (registry.getSingleMetric(prefix + name))
        throw new Error(METRICS_TAKEN(prefix + name, !setting.registry));
    }
    this.registry = registry;
    this.define(prom, registry, prefix);
  }

  /** Takes the collectors off the registry, so another app (or a restarted one) can register them. */
  onApplicationShutdown(): void {
    this.stats.timings = undefined;
    for (const name of this.registered) this.registry?.removeSingleMetric(name);
    this.registered = [];
  }

  private define(
    prom: PromClient,
    registry: PromRegistry,
    prefix: string,
  ): void {
    const stats = this.stats;
    const hub = this.hub;
    const registers = [registry];
    const named = (name: string) => {
      this.registered.push(prefix + name);
      return prefix + name;
    };
    const gauge = (name: string, help: string, read: () => number) =>
      new prom.Gauge({
        name: named(name),
        help,
        registers,
        collect(this: PromGauge) {
          this.set(read());
        },
      } as never);
    const total = (name: string, help: string, read: () => number) =>
      new prom.Counter({
        name: named(name),
        help,
        registers,
        collect(this: PromCounter) {
          this.reset();
          this.inc(read());
        },
      } as never);
    const byLabel = (
      name: string,
      help: string,
      label: string,
      read: () => Readonly<Record<string, number>>,
    ) =>
      new prom.Counter({
        name: named(name),
        help,
        labelNames: [label],
        registers,
        collect(this: PromCounter) {
          this.reset();
          const counts = read();
          for (const key in counts) this.inc({ [label]: key }, counts[key]);
        },
      } as never);

    gauge(
      'connections',
      'Open WebSocket connections of this instance.',
      () => hub.connectionCount,
    );
    gauge(
      'views',
      'Client views with an open connection on this instance.',
      () => hub.viewCount,
    );
    gauge(
      'channels',
      'Channels with a local subscriber on this instance.',
      () => hub.channelCount,
    );
    total(
      'messages_sent_total',
      'Frames written to sockets (pushes, replies, errors).',
      () => stats.messagesOut,
    );
    total(
      'messages_received_total',
      'Request frames received from sockets.',
      () => stats.messagesIn,
    );
    total(
      'connections_accepted_total',
      'WebSocket handshakes that became connections.',
      () => stats.accepted,
    );
    byLabel(
      'connections_rejected_total',
      'WebSocket handshakes refused, by reason.',
      'reason',
      () => stats.rejections,
    );
    byLabel(
      'disconnects_total',
      'Connections closed, by close code.',
      'code',
      () => stats.disconnects,
    );
    new prom.Counter({
      name: named('recoveries_total'),
      help: 'Resume frames sent: recovered, or not with each reason.',
      labelNames: ['recovered', 'reason'],
      registers,
      collect(this: PromCounter) {
        this.reset();
        this.inc({ recovered: 'true', reason: 'none' }, stats.recoveries.true);
        const failed = stats.recoveries.false;
        for (const reason in failed)
          this.inc(
            { recovered: 'false', reason },
            failed[reason as keyof typeof failed] ?? 0,
          );
      },
    } as never);
    total(
      'slow_consumer_closes_total',
      'Connections closed with 4000 (outbound backlog over maxBufferedBytes).',
      () => stats.slowConsumerCloses,
    );
    byLabel(
      'registry_errors_total',
      'Registry operations that failed (unavailable or refused), by operation.',
      'op',
      () => stats.registryErrors,
    );
    const handlers = new prom.Histogram({
      name: named('handler_duration_seconds'),
      help: 'Time from a request to its handler settling, by action (registered names only; others are "unknown") and outcome.',
      labelNames: ['action', 'outcome'],
      buckets: HANDLER_BUCKETS,
      registers,
    } as never);
    const publishes = new prom.Histogram({
      name: named('publish_duration_seconds'),
      help: 'Time from push() to the registry accepting it.',
      buckets: PUBLISH_BUCKETS,
      registers,
    } as never);
    stats.timings = {
      handler: (action, outcome, seconds) =>
        handlers.observe({ action, outcome }, seconds),
      publish: (seconds) => publishes.observe(seconds),
    };
  }
}

/** Every metric name, without the prefix (SPEC §12). */
export const NAMES = [
  'connections',
  'views',
  'channels',
  'messages_sent_total',
  'messages_received_total',
  'connections_accepted_total',
  'connections_rejected_total',
  'disconnects_total',
  'recoveries_total',
  'slow_consumer_closes_total',
  'registry_errors_total',
  'handler_duration_seconds',
  'publish_duration_seconds',
] as const;
