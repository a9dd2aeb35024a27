import { Controller, Get, Header } from '@nestjs/common';
import {
  RealtimeService,
  Socket,
  type RealtimeSocket,
  type RealtimeStats,
} from 'nestjs-realtime';
import { STATS_CHANNEL } from './stats.channel';
import { statsPage } from './stats.page';

@Controller()
export class StatsController {
  constructor(private readonly realtime: RealtimeService) {}

  /** A page that shows the stats live (the clock service pushes them every second). */
  @Get('stats')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async page(@Socket() socket: RealtimeSocket): Promise<string> {
    await socket.subscribe(STATS_CHANNEL);
    return statsPage(this.realtime.stats());
  }

  @Get('stats.json')
  json(): RealtimeStats {
    return this.realtime.stats();
  }
}
