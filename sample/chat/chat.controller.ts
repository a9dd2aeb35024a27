import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Redirect,
  ValidationPipe,
  Header,
} from '@nestjs/common';
import { RealtimeService, Socket, type RealtimeSocket } from 'nestjs-realtime';
import type { ChatMessage } from './chat-message';
import { chatPage } from './chat.page';
import { MessageDto } from './message.dto';
import { RoomNamePipe } from './room-name.pipe';
import { chatChannel, roomChannels } from './rooms';

@Controller()
export class ChatController {
  constructor(private readonly realtime: RealtimeService) {}

  @Get()
  @Redirect('/rooms/lobby')
  home(): void {}

  /**
   * Rendering the page subscribes this browser view to the room, before its socket
   * exists; the socket the page opens receives from then on. The page goes out as
   * text/html (Fastify sends a bare string as text/plain, so the type is explicit), and the
   * module writes the view's id into its `<body>`.
   */
  @Get('rooms/:room')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async room(
    @Param('room', RoomNamePipe) room: string,
    @Socket() socket: RealtimeSocket,
  ): Promise<string> {
    await socket.subscribe(roomChannels(room));
    return chatPage(room);
  }

  /**
   * Posts a message to every view of the room. The page calls it over its socket
   * (`call-route`); plain HTTP works too.
   */
  @Post('rooms/:room/messages')
  @HttpCode(202)
  async post(
    @Param('room', RoomNamePipe) room: string,
    @Body(new ValidationPipe({ whitelist: true, transform: true }))
    { name, text }: MessageDto,
  ): Promise<{ ok: true }> {
    const message: ChatMessage = { name, text, at: new Date().toISOString() };
    await this.realtime.push(message, chatChannel(room));
    return { ok: true };
  }
}
