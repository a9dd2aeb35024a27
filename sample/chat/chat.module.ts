import { Module } from '@nestjs/common';
import { ChatController } from './chat.controller';
import { TypingHandler } from './typing.handler';

@Module({
  controllers: [ChatController],
  providers: [TypingHandler],
})
export class ChatModule {}
