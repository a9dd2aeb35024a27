import { Injectable } from '@nestjs/common';
import { isObservable, type Observable } from 'rxjs';
import type { RawData } from 'ws';
import { RealtimeError } from '../exceptions/realtime.error';
import { errorFrame, replyFrame, type RequestId } from '../gateway/frames';
import type { RealtimeConnection } from '../gateway/realtime-connection';
import {
  FRAME_BAD_ACTION,
  FRAME_BAD_ID,
  FRAME_BINARY,
  FRAME_NOT_JSON,
  FRAME_NOT_OBJECT,
  UNAUTHORIZED,
  UNKNOWN_ACTION,
} from '../realtime.messages';
import { RealtimeStatsCounter } from '../realtime-stats.counter';

/** A request frame after validation: the handler's `message` is the whole object. */
export interface RealtimeMessage {
  id: string | number;
  action: string;
  [field: string]: unknown;
}

type ActionHandler = (
  message: RealtimeMessage,
  connection: RealtimeConnection,
) => unknown;

const OPEN = 1; // WebSocket.OPEN

/**
 * Parses request frames (SPEC §4), answers malformed ones with `bad_request`, inert
 * connections with `unauthorized`, and routes the rest to the handler of the action.
 * Nothing is silently ignored; nothing a client sends can throw out of here.
 */
@Injectable()
export class MessageDispatcher {
  private readonly handlers = new Map<string, ActionHandler>([
    ['ping', () => 'pong'],
  ]);

  constructor(private readonly stats: RealtimeStatsCounter) {}

  dispatch(
    connection: RealtimeConnection,
    data: RawData,
    isBinary: boolean,
  ): void {
    this.stats.messagesIn++;
    if (isBinary)
      return this.fail(connection, null, 'bad_request', FRAME_BINARY);
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return this.fail(connection, null, 'bad_request', FRAME_NOT_JSON);
    }
    if (
      typeof message !== 'object' ||
      message === null ||
      Array.isArray(message)
    ) {
      return this.fail(connection, null, 'bad_request', FRAME_NOT_OBJECT);
    }
    const { id, action } = message as Record<string, unknown>;
    if (
      typeof id !== 'string' &&
      !(typeof id === 'number' && Number.isFinite(id))
    ) {
      return this.fail(connection, null, 'bad_request', FRAME_BAD_ID);
    }
    if (typeof action !== 'string' || action.length === 0)
      return this.fail(connection, id, 'bad_request', FRAME_BAD_ACTION);
    if (connection.inert)
      return this.fail(connection, id, 'unauthorized', UNAUTHORIZED);
    const handler = this.handlers.get(action);
    if (!handler)
      return this.fail(
        connection,
        id,
        'unknown_action',
        UNKNOWN_ACTION(action),
      );
    let result: unknown;
    try {
      result = handler(message as RealtimeMessage, connection);
    } catch (error) {
      return this.failWith(connection, id, error);
    }
    this.respond(connection, id, result);
  }

  private respond(
    connection: RealtimeConnection,
    id: RequestId,
    result: unknown,
  ): void {
    if (isObservable(result)) {
      (result as Observable<unknown>).subscribe({
        next: (value) => this.write(connection, replyFrame(id, value)),
        error: (error: unknown) => this.failWith(connection, id, error),
      });
    } else if (result instanceof Promise) {
      result.then(
        (value: unknown) => this.write(connection, replyFrame(id, value)),
        (error: unknown) => this.failWith(connection, id, error),
      );
    } else {
      this.write(connection, replyFrame(id, result));
    }
  }

  private failWith(
    connection: RealtimeConnection,
    id: RequestId,
    error: unknown,
  ): void {
    if (error instanceof RealtimeError)
      this.fail(connection, id, error.code, error.message);
    else this.fail(connection, id, 'handler_error', 'the handler failed');
  }

  private fail(
    connection: RealtimeConnection,
    id: RequestId,
    code: string,
    message: string,
  ): void {
    this.write(connection, errorFrame(id, code, message));
  }

  private write(connection: RealtimeConnection, frame: string): void {
    if (connection.ws.readyState !== OPEN) return;
    connection.ws.send(frame);
    this.stats.messagesOut++;
  }
}
