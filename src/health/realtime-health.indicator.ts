import { Injectable } from '@nestjs/common';
import { RealtimeService } from '../realtime.service';

/** What `isHealthy` returns: `@nestjs/terminus`'s `HealthIndicatorResult` shape. */
export type RealtimeHealthResult = Record<
  string,
  { status: 'up' | 'down'; connections: number; registry: string }
>;

/**
 * A health indicator for `@nestjs/terminus` (README "Metrics and health"): up while the
 * registry is ready (the memory one always; Redis connected and re-subscribed after a
 * reconnect), down otherwise, with this instance's connection count. Terminus answers
 * 503 for a `down` result; nothing here imports it, so the module works without it.
 */
@Injectable()
export class RealtimeHealthIndicator {
  constructor(private readonly realtime: RealtimeService) {}

  async isHealthy(key = 'realtime'): Promise<RealtimeHealthResult> {
    const stats = this.realtime.stats();
    return {
      [key]: {
        status: stats.registry.ready ? 'up' : 'down',
        connections: stats.connections,
        registry: stats.registry.kind,
      },
    };
  }
}
