import type { IncomingMessage } from 'node:http';
import type { Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { kConnection } from '../realtime.constants';
import type { RealtimeSocket } from '../http/realtime-socket';
import type { RealtimeContext } from '../interfaces/realtime-message';

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
  constructor(
    readonly ws: WebSocket,
    readonly request: IncomingMessage,
    readonly connectionId: string | null,
    readonly view: LocalView | null,
    /** The socket context handlers see; null for inert connections. */
    readonly socket: RealtimeSocket | null,
  ) {
    this.context =
      socket && connectionId && view
        ? { socket, connectionId, digest: view.digest, request }
        : undefined;
    // Marks the socket as ours and lets @Socket() find the context from the ws client.
    (ws as unknown as { [kConnection]: RealtimeConnection })[kConnection] =
      this;
  }

  /** What handlers get; undefined for an inert connection. */
  readonly context: RealtimeContext | undefined;
  /** Replies still streaming from Observable handlers; cancelled when the socket closes. */
  readonly streams = new Set<Subscription>();

  get inert(): boolean {
    return this.view === null;
  }

  /** Stops streaming replies of this connection. */
  endStreams(): void {
    for (const subscription of this.streams) subscription.unsubscribe();
    this.streams.clear();
  }
}
