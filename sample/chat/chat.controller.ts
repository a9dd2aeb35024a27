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
  Headers,
  Res,
} from '@nestjs/common';
import { RealtimeService, Socket, type RealtimeSocket } from 'nestjs-realtime';
import type { ChatMessage } from './chat-message';
import { chatPage } from './chat.page';
import { guestOf } from './guest';
import { MessageDto } from './message.dto';
import { RoomNamePipe } from './room-name.pipe';
import { chatChannel, roomChannels } from './rooms';

/** Express's response (`append`) or Fastify's reply (`header` appends Set-Cookie values). */
interface CookieResponse {
  append?(name: string, value: string): unknown;
  header(name: string, value: string): unknown;
}

/** Adds a Set-Cookie value next to the module's own (the socket key cookie), on either platform. */
function addCookie(response: CookieResponse, value: string): void {
  if (response.append) response.append('Set-Cookie', value);
  else response.header('set-cookie', value);
}

@Controller()
export class ChatController {
  constructor(private readonly realtime: RealtimeService) {}

  @Get()
  @Redirect('/rooms/lobby')
  home(): void {}

  /**
   * Rendering the page subscribes this browser view to the room, before its socket
   * exists; the socket the page opens receives from then on. The view is identified as
   * the browser's guest, so the room shows who is here (option `presence`). The page
   * goes out as text/html (Fastify sends a bare string as text/plain, so the type is
   * explicit), and the module writes the view's id into its `<body>`.
   */
  @Get('rooms/:room')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async room(
    @Param('room', RoomNamePipe) room: string,
    @Socket() socket: RealtimeSocket,
    @Headers('cookie') cookie: string | undefined,
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<string> {
    const guest = guestOf(cookie);
    if (guest.setCookie) addCookie(response, guest.setCookie);
    await socket.identify(guest.user);
    await socket.subscribe(roomChannels(room));
    return chatPage(room, guest.user);
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
