import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { RealtimeService } from 'nestjs-realtime';
import { CLOCK_CHANNEL } from '../chat/rooms';
import { STATS_CHANNEL } from '../stats/stats.channel';

/**
 * A job that pushes from the server, not from a request: every second the time to
 * `clock` (every chat page) and the realtime stats to `stats` (the stats page).
 */
@Injectable()
export class ClockService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy
{
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly logger = new Logger(ClockService.name);

  constructor(private readonly realtime: RealtimeService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), 1000);
    // The ticker alone never keeps the process alive.
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    this.stop();
  }

  onModuleDestroy(): void {
    this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    // With Redis down a push waits up to publishTimeout: skip ticks meanwhile.
    if (this.ticking) return;
    this.ticking = true;
    try {
      await Promise.all([
        this.realtime.push({ now: new Date().toISOString() }, CLOCK_CHANNEL),
        this.realtime.push(this.realtime.stats(), STATS_CHANNEL),
      ]);
    } catch (error) {
      this.logger.warn(`tick not pushed: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }
}
