import {
  MessageHandler,
  RealtimeError,
  RealtimeService,
  type RealtimeMessage,
  type RealtimeMessageHandler,
} from 'nestjs-realtime';
import type { TypingNotice } from './chat-message';
import { ROOM_NAME, typingChannel } from './rooms';

/**
 * `{"action":"chat:typing","room":"lobby","name":"ada"}`: tells the room who is
 * typing. The page sends it at most once a second while its user types.
 */
@MessageHandler('chat:typing')
export class TypingHandler implements RealtimeMessageHandler {
  constructor(private readonly realtime: RealtimeService) {}

  async handle({ room, name }: RealtimeMessage): Promise<{ ok: true }> {
    if (typeof room !== 'string' || !ROOM_NAME.test(room))
      throw new RealtimeError('bad_request', 'room must be a valid room name');
    const who = typeof name === 'string' ? name.trim() : '';
    if (who.length < 1 || who.length > 32)
      throw new RealtimeError('bad_request', 'name must be 1-32 characters');
    const notice: TypingNotice = { name: who };
    await this.realtime.push(notice, typingChannel(room));
    return { ok: true };
  }
}
