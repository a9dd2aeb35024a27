import type { RealtimeMessageHandler } from '../interfaces/realtime-message';
import { BundledHandler } from './message-handler.decorator';

/** `{"id","action":"ping"}` → `{"id","payload":"pong"}`. */
@BundledHandler('ping')
export class PingHandler implements RealtimeMessageHandler {
  handle(): string {
    return 'pong';
  }
}
