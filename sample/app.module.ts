import { Module } from '@nestjs/common';
import { RealtimeModule } from 'nestjs-realtime';
import { ChatController } from './chat.controller';

@Module({
  imports: [RealtimeModule.forRoot({ secret: process.env.REALTIME_SECRET })],
  controllers: [ChatController],
})
export class AppModule {}
