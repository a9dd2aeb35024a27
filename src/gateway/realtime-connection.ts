import type { Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { kConnection } from '../realtime.constants';
import type { RealtimeSocket } from '../http/realtime-socket';
import type {
  RealtimeContext,
  RealtimeUpgradeRequest,
} from '../interfaces/realtime-message';

/** The connections of one client view (digest) on this instance. */
export class LocalView {
  readonly channels = new Set<string>();
  readonly connections = new Set<RealtimeConnection>();
  /** Handshakes that attached to the registry but have not opened yet. */
  opening = 0;
  constructor(readonly digest: string) {}
}

/** One accepted WebSocket. `view` is null for an inert connection (SPEC §5). */
export class RealtimeConnection {
  /** Replies still streaming from Observable handlers; cancelled when the socket closes (made on first use). */
  streams: Set<Subscription> | undefined;
  private handlerContext: RealtimeContext | undefined;
  /** Rate limit bucket (SPEC §7): tokens left, when last refilled, refusals in a row. */
  tokens: number;
  refilledAt = Date.now();
  strikes = 0;
  /** Heartbeat: a pong arrived since the last ping. */
  alive = true;
  /** Why the server closed it (for stats); unset when the client closed. */
  closeReason: string | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly request: RealtimeUpgradeRequest,
    readonly connectionId: string | null,
    readonly view: LocalView | null,
    /** The socket context handlers see; null for inert connections. */
    readonly socket: RealtimeSocket | null,
    /** Counts against maxConnectionsPerClient under this key. */
    readonly clientKey: string,
    rateLimitMessages: number,
  ) {
    this.tokens = rateLimitMessages;
    // Marks the socket as ours and lets @Socket() find the context from the ws client.
    (ws as unknown as { [kConnection]: RealtimeConnection })[kConnection] =
      this;
  }

  /** What handlers get; undefined for an inert connection. */
  get context(): RealtimeContext | undefined {
    if (this.handlerContext || !this.socket || !this.view)
      return this.handlerContext;
    return (this.handlerContext = {
      socket: this.socket,
      connectionId: this.socket.connectionId,
      digest: this.view.digest,
      request: this.request,
    });
  }

  get inert(): boolean {
    return this.view === null;
  }

  /** Closes with a code and remembers why (the first reason wins). */
  closeWith(code: number, reason: string, message: string): void {
    this.closeReason ??= reason;
    this.ws.close(code, message);
  }

  /** Drops the TCP connection at once (dead peers, stuck closing handshakes). */
  terminate(reason: string): void {
    this.closeReason ??= reason;
    this.ws.terminate();
  }

  /** Stops streaming replies of this connection. */
  endStreams(): void {
    if (!this.streams) return;
    for (const subscription of this.streams) subscription.unsubscribe();
    this.streams = undefined;
  }
}
