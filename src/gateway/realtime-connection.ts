import type { Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import type {
  RealtimeContext,
  RealtimeUpgradeRequest,
} from '../interfaces/realtime-message';
import { SmallSet } from '../collections/small-set';
import { CloseCode, OPEN } from '../protocol';
import { type Frame, writeFrame } from './outbound-frame';
import type { Corkable, TurnCork } from './turn-cork';
import type { RealtimeSocket } from '../realtime-socket';

/** WebSocket property pointing at its RealtimeConnection (marks our sockets). */
export const kConnection = Symbol.for('nestjs-realtime.connection');

/** The connections of one client view (digest) on this instance. */
export class LocalView {
  readonly channels = new SmallSet<string>();
  readonly connections = new SmallSet<RealtimeConnection>();
  /** Handshakes that attached to the registry but have not opened yet. */
  opening = 0;
  constructor(readonly digest: string) {}
}

/** What a connection counts against (README "Security and limits" caps). */
export interface ConnectionPlace {
  /** The client address (the platform's trust-proxy setting applied). */
  readonly address: string;
  /** The issued socket key, when the client presented one. */
  readonly key: string | undefined;
}

/** Where every connection's writes are counted and its backlog judged: one per app. */
export interface Outlet {
  readonly maxBufferedBytes: number;
  /** Coalesces a connection's second and later writes of one turn (see TurnCork). */
  readonly cork: TurnCork;
  /** A frame was written. */
  sent(): void;
  /** The connection's outbound backlog passed maxBufferedBytes (README "Security and limits" slow consumer). */
  slowConsumer(connection: RealtimeConnection): void;
}

/** Live pushes one channel of a resuming connection may hold (README "Delivery guarantees"). */
export const MAX_HELD_WHILE_RESUMING = 1000;

/** A live push kept back while its channel resumes (README "Delivery guarantees"). */
export interface HeldPush {
  readonly frame: Frame;
  readonly epoch: string | undefined;
  readonly offset: number | undefined;
}

/** The TCP socket under a `ws` socket, when it can be corked. */
function rawSocket(ws: WebSocket): Corkable | undefined {
  const socket = (ws as unknown as { _socket?: Partial<Corkable> })._socket;
  return typeof socket?.cork === 'function' &&
    typeof socket.uncork === 'function'
    ? (socket as Corkable)
    : undefined;
}

/** The connection a socket belongs to (set when it was accepted). */
export function connectionOf(ws: WebSocket): RealtimeConnection {
  return (ws as unknown as { [kConnection]: RealtimeConnection })[kConnection];
}

/** One accepted WebSocket. `view` is null for an inert connection (README "Security and limits"). */
export class RealtimeConnection {
  /** Replies still streaming from Observable handlers; cancelled when the socket closes (made on first use). */
  streams: Set<Subscription> | undefined;
  private handlerContext: RealtimeContext | undefined;
  /** Aborted when the socket closes (made on first use, for call-route and handlers). */
  private closing: AbortController | undefined;
  /** Rate limit bucket (README "Security and limits"): tokens left, when last refilled, refusals in a row. */
  tokens: number;
  refilledAt = Date.now();
  strikes = 0;
  /** Requests whose handler has not settled (README "Security and limits" maxInFlight). */
  inFlight = 0;
  /** Heartbeat: it answered the server's last ping. */
  alive = true;
  /** Why the server closed it (for stats); unset when the client closed. */
  closeReason: string | undefined;
  /**
   * While the first resume frame is not out (history on): every frame that is not a
   * push of a resuming channel waits here, so the resume frame comes first.
   */
  opening: Frame[] | undefined;
  /** Channels being resumed, each with the live pushes that arrived meanwhile (made only while some are). */
  resuming: Map<string, HeldPush[]> | undefined;
  /** After a resume: per channel, the newest offset the plan covered whose live copy may still come (ResumePlan.lagging). */
  floors: Map<string, { epoch: string; offset: number }> | undefined;
  /** The turn of its last write (TurnCork), negated once its socket is corked for the rest of that turn. */
  private writtenIn = 0;
  /** Counted against maxConnectionsPerAddress (the address) and maxConnectionsPerClient (the key). */
  readonly address: string;
  readonly key: string | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly request: RealtimeUpgradeRequest,
    readonly connectionId: string | null,
    readonly view: LocalView | null,
    /** The socket context handlers see; null for inert connections. */
    readonly socket: RealtimeSocket | null,
    place: ConnectionPlace,
    rateLimitMessages: number,
    private readonly outlet: Outlet,
  ) {
    this.address = place.address;
    this.key = place.key;
    this.tokens = rateLimitMessages;
    // Marks the socket as ours and lets the listeners find the connection from the ws client.
    (ws as unknown as { [kConnection]: RealtimeConnection })[kConnection] =
      this;
  }

  /**
   * The one send path (README "Wire protocol"): pushes and replies alike. Writes the frame when the
   * socket is open, counts it, and checks the backlog. False when the socket was not open.
   */
  send(frame: Frame): boolean {
    if (this.opening !== undefined) {
      this.opening.push(frame);
      return true;
    }
    return this.write(frame);
  }

  /** A push of `channel` with its place in the history: kept back while the channel resumes. */
  deliver(
    frame: Frame,
    channel: string,
    epoch: string | undefined,
    offset: number | undefined,
  ): boolean {
    const floors = this.floors;
    if (floors !== undefined && offset !== undefined) {
      const floor = floors.get(channel);
      if (floor !== undefined) {
        // Replayed already: its live copy came late.
        if (floor.epoch === epoch && offset <= floor.offset) return true;
        floors.delete(channel);
        if (floors.size === 0) this.floors = undefined;
      }
    }
    const held = this.resuming?.get(channel);
    if (held === undefined) return this.send(frame);
    if (held.length >= MAX_HELD_WHILE_RESUMING) {
      // The registry is too slow to say what it missed: it reconnects and resumes from what it has.
      this.closeWith(CloseCode.ServerError, 'resume_failed', 'resume too slow');
      return false;
    }
    held.push({ frame, epoch, offset });
    return true;
  }

  /** Writes at once, past anything held (the resume frame and its replay). */
  write(frame: Frame): boolean {
    const ws = this.ws;
    if (ws.readyState !== OPEN) return false;
    // The first frame of a turn leaves at once; from the second on, the socket is
    // corked until the turn ends, so they leave together in one system call.
    const turn = this.outlet.cork.turn();
    if (this.writtenIn === turn) {
      const socket = rawSocket(ws);
      if (socket !== undefined) {
        this.outlet.cork.hold(socket);
        this.writtenIn = -turn;
      }
    } else if (this.writtenIn !== -turn) this.writtenIn = turn;
    writeFrame(ws, frame);
    // What waits corked counts in bufferedAmount: past a few frames' worth it goes out
    // now, so a big burst is never taken for a slow consumer (the next write corks again).
    if (
      this.writtenIn === -turn &&
      ws.bufferedAmount >= this.outlet.cork.limit
    ) {
      rawSocket(ws)?.uncork();
      this.writtenIn = turn;
    }
    this.outlet.sent();
    if (ws.bufferedAmount > this.outlet.maxBufferedBytes)
      this.outlet.slowConsumer(this);
    return true;
  }

  /**
   * Runs `writes` with the TCP socket corked: the frames they write (a resume frame and
   * its replay) leave in one system call instead of one each.
   */
  corked(writes: () => void): void {
    const socket = rawSocket(this.ws);
    if (socket === undefined) return writes();
    socket.cork();
    try {
      writes();
    } finally {
      socket.uncork();
    }
  }

  /** Answers a client's ping; the pong counts toward the backlog like any write. */
  pong(data: Buffer): void {
    if (this.ws.readyState !== OPEN) return;
    this.ws.pong(data);
    this.checkBackpressure();
  }

  /** A heartbeat ping; the backlog is checked even when nothing else is written. */
  ping(data: Buffer): void {
    this.ws.ping(data);
    this.checkBackpressure();
  }

  checkBackpressure(): void {
    if (this.ws.bufferedAmount > this.outlet.maxBufferedBytes)
      this.outlet.slowConsumer(this);
  }

  /** What handlers get; undefined for an inert connection. */
  get context(): RealtimeContext | undefined {
    if (this.handlerContext || !this.socket || !this.view)
      return this.handlerContext;
    const context = {
      socket: this.socket,
      connectionId: this.socket.connectionId,
      digest: this.view.digest,
      request: this.request,
    } as RealtimeContext;
    // Made on first read: most connections never need one.
    Object.defineProperty(context, 'signal', {
      enumerable: true,
      get: () => this.closedSignal,
    });
    return (this.handlerContext = context);
  }

  /** Aborted once the socket closed. */
  get closedSignal(): AbortSignal {
    this.closing ??= new AbortController();
    if (this.ws.readyState === 3 /* CLOSED */) this.closing.abort();
    return this.closing.signal;
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

  /** The socket closed: stop streaming replies and abort what still runs for it. */
  closed(): void {
    if (this.streams) {
      for (const subscription of this.streams) subscription.unsubscribe();
      this.streams = undefined;
    }
    this.closing?.abort();
  }
}
