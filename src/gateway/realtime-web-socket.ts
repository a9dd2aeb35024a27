import { WebSocket } from 'ws';

/** What one app does with its sockets' events (socket-listeners): `this` is the socket. */
export type SocketEvents = Readonly<
  Record<
    'message' | 'ping' | 'pong' | 'error' | 'close',
    (this: WebSocket, ...args: never[]) => void
  >
>;

/**
 * The class of the realtime gateway's sockets (`ws`'s `WebSocket` server option). Its
 * own events go straight to the app's shared listeners from `emit`, so they take no
 * entries in its listener table (with five more entries, an EventEmitter's table grows
 * to a 256-byte dictionary per socket). Listeners added with `on` still get every event.
 */
export class RealtimeWebSocket extends WebSocket {
  /** The app's listeners, set when the socket is accepted. */
  events: SocketEvents | undefined = undefined;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const handler = this.events?.[event as keyof SocketEvents];
    if (handler === undefined) return super.emit(event, ...args);
    (handler as (this: WebSocket, ...args: unknown[]) => void).apply(
      this,
      args,
    );
    if (this.listenerCount(event) > 0) super.emit(event, ...args);
    return true;
  }
}
