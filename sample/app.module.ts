import { Module } from '@nestjs/common';
import { RealtimeModule } from 'nestjs-realtime';
import { ChatModule } from './chat/chat.module';
import { ClockModule } from './clock/clock.module';
import { realtimeOptions } from './realtime.config';
import { StatsModule } from './stats/stats.module';

@Module({
  imports: [
    // A factory reads the environment when the app boots, not when this file loads.
    RealtimeModule.forRootAsync({ useFactory: () => realtimeOptions() }),
    ChatModule,
    ClockModule,
    StatsModule,
  ],
})
export class AppModule {}
