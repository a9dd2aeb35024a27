import type { IncomingMessage } from 'node:http';
import type { Observable } from 'rxjs';
import type { RealtimeSocket } from '../http/realtime-socket';

/** A request frame (SPEC §4): the whole object the client sent. */
export interface RealtimeMessage {
  id: string | number;
  action: string;
  [field: string]: unknown;
}

/** What a message handler knows about the connection a message came from. */
export interface RealtimeContext {
  /** The connection's client view: subscribe, unsubscribe, push, send. */
  socket: RealtimeSocket;
  connectionId: string;
  digest: string;
  /** The upgrade request: headers, cookies, remote address. */
  request: IncomingMessage;
}

/** Implemented by classes decorated with `@MessageHandler(action)`. */
export interface RealtimeMessageHandler {
  /** The return value is the reply payload; an Observable streams several replies with the request's id. */
  handle(
    message: RealtimeMessage,
    context: RealtimeContext,
  ): unknown | Promise<unknown> | Observable<unknown>;
}
