import type { RawData, WebSocket } from 'ws';
import type { MessageDispatcher } from '../handlers/message-dispatcher';
import { kConnection } from '../realtime.constants';
import type { RealtimeStatsCounter } from '../realtime-stats.counter';
import { closeReasonOf, wsErrorReason } from './close-reasons';
import type { ConnectionHub } from './connection-hub';
import type { ConnectionLimits } from './connection-limits';
import type { RealtimeConnection } from './realtime-connection';

function connectionOf(ws: WebSocket): RealtimeConnection {
  return (ws as unknown as { [kConnection]: RealtimeConnection })[kConnection];
}

/**
 * One listener of each kind for every socket of an app: `this` is the socket and its
 * connection hangs off it, so accepting a socket allocates no closures.
 */
export function socketListeners(
  dispatcher: MessageDispatcher,
  hub: ConnectionHub,
  limits: ConnectionLimits,
  stats: RealtimeStatsCounter,
) {
  return {
    message(this: WebSocket, data: RawData, isBinary: boolean): void {
      dispatcher.dispatch(connectionOf(this), data, isBinary);
    },
    pong(this: WebSocket): void {
      connectionOf(this).alive = true;
    },
    /** ws closes by itself on protocol errors (1009 too big, 1007 bad UTF-8): name them for stats. */
    error(this: WebSocket, error: Error & { code?: string }): void {
      connectionOf(this).closeReason ??= wsErrorReason(error.code);
    },
    close(this: WebSocket, code: number): void {
      const connection = connectionOf(this);
      connection.endStreams();
      hub.remove(connection);
      limits.release(connection.clientKey);
      stats.closed(connection.closeReason ?? closeReasonOf(code));
    },
  };
}
