import type {
  RealtimeContext,
  RealtimeMessage,
  RealtimeMessageHandler,
} from '../interfaces/realtime-message';
import { RealtimePresence } from '../presence/realtime-presence';
import { BundledHandler } from './message-handler.decorator';

/**
 * `{"id","action":"presence","channel"}` → `{"id","payload":[{user,info,connections}…]}`
 * for a channel the option `presence` shares and the connection's view holds; else
 * `unauthorized` (README "Users and presence").
 */
@BundledHandler('presence')
export class PresenceHandler implements RealtimeMessageHandler {
  constructor(private readonly presence: RealtimePresence) {}

  handle(message: RealtimeMessage, context: RealtimeContext): Promise<unknown> {
    return this.presence.answer(message.channel, context.digest);
  }
}
