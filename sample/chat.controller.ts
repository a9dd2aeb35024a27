import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Redirect,
} from '@nestjs/common';
import {
  RealtimeService,
  Socket,
  type RealtimeSocket,
  type RealtimeStats,
} from 'nestjs-realtime';
import { chatPage } from './chat.page';

const ROOM = /^[a-z0-9-]{1,32}$/;

function checkRoom(room: string): string {
  if (!ROOM.test(room))
    throw new BadRequestException(
      'room names are 1-32 characters of a-z, 0-9 and "-"',
    );
  return room;
}

@Controller()
export class ChatController {
  constructor(private readonly realtime: RealtimeService) {}

  @Get()
  @Redirect('/rooms/lobby')
  home(): void {}

  /** Rendering the page subscribes this browser view to the room's channel. */
  @Get('rooms/:room')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async room(
    @Param('room') room: string,
    @Socket() socket: RealtimeSocket,
  ): Promise<string> {
    await socket.subscribe(`chat:${checkRoom(room)}`);
    return chatPage(room);
  }

  /** Anyone may post; every view subscribed to the room receives it. */
  @Post('rooms/:room/messages')
  @HttpCode(202)
  async post(
    @Param('room') room: string,
    @Body() body: { text?: unknown },
  ): Promise<{ ok: true }> {
    const text = typeof body?.text === 'string' ? body.text.trim() : '';
    if (!text || text.length > 500)
      throw new BadRequestException('text must be 1-500 characters');
    await this.realtime.push(
      { text, at: new Date().toISOString() },
      `chat:${checkRoom(room)}`,
    );
    return { ok: true };
  }

  @Get('stats')
  stats(): RealtimeStats {
    return this.realtime.stats();
  }
}
