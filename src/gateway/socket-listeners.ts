import { Logger } from '@nestjs/common';
import type { RawData, WebSocket } from 'ws';
import type { RealtimeStatsCounter } from '../realtime-stats.counter';
import { closeReasonOf, wsErrorReason } from './close-reasons';
import type { ConnectionHub } from './connection-hub';
import type { ConnectionLimits } from './connection-limits';
import type { Heartbeat } from './heartbeat';
import type { Inbound } from './inbound';
import { connectionOf } from './realtime-connection';

/**
 * One listener of each kind for every socket of an app: `this` is the socket and its
 * connection hangs off it, so accepting a socket allocates no closures.
 */
export function socketListeners(
  inbound: Inbound,
  hub: ConnectionHub,
  heartbeat: Heartbeat,
  limits: ConnectionLimits,
  stats: RealtimeStatsCounter,
) {
  const logger = new Logger('Realtime');
  return {
    message(this: WebSocket, data: RawData, isBinary: boolean): void {
      inbound.frame(connectionOf(this), data, isBinary);
    },
    /** Pings are answered by us, not by ws: they are charged to rateLimit and the pong to the backlog (README "Security and limits"). */
    ping(this: WebSocket, data: Buffer): void {
      inbound.ping(connectionOf(this), data);
    },
    pong(this: WebSocket, data: Buffer): void {
      heartbeat.pong(connectionOf(this), data);
    },
    /**
     * ws closes by itself on protocol errors (1009 too big, 1007 bad UTF-8, bad frames).
     * The client caused it: one warning, no stack (README "Security and limits"), and the reason for stats.
     */
    error(this: WebSocket, error: Error & { code?: string }): void {
      const connection = connectionOf(this);
      const reason = wsErrorReason(error.code);
      connection.closeReason ??= reason;
      logger.warn(
        `Closed a socket on a client protocol error (${reason}: ${error.message})${connection.connectionId ? ` (${connection.connectionId})` : ''} from ${connection.request.ip ?? '?'}`,
      );
    },
    close(this: WebSocket, code: number): void {
      const connection = connectionOf(this);
      connection.closed();
      hub.remove(connection);
      limits.release(connection.address, connection.key);
      stats.closed(connection.closeReason ?? closeReasonOf(code), code);
    },
  };
}
