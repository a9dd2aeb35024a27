import type { RealtimeClientError } from './realtime-client.error';

/** The life of a client: `connecting` once at first, then `open` / `reconnecting`, until `closed`. */
export type RealtimeState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A push as it arrived: the subscribed channel that matched, and the message. */
export interface RealtimeFrame {
  channel: string;
  payload: unknown;
  /** Its place in the channel's history (history on, README "Delivery guarantees"). */
  offset?: number;
}

/**
 * What the server recovered when the socket opened (and for channels added later):
 * `recovered` false means some channel in `failed` missed messages that cannot be
 * replayed — reload or refetch its state.
 */
export interface RealtimeResume {
  recovered: boolean;
  replayed: number;
  epoch: Record<string, string>;
  failed: Record<string, 'limit' | 'expired' | 'epoch' | 'unknown_view'>;
}

/** The reply of `call-route`: the route's HTTP response. */
export interface RealtimeCallResult {
  status: number;
  headers: Record<string, string | string[]>;
  body: unknown;
}

// Method syntax makes the event parameter bivariant, so sockets typed with richer
// event classes (the DOM's MessageEvent and CloseEvent, the `ws` package's) fit.
type EventHandler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the WebSocket API the client uses; the browser's WebSocket and `ws` fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: EventHandler<unknown> | null;
  onmessage: EventHandler<{ data: unknown }> | null;
  onclose: EventHandler<{ code: number }> | null;
  onerror: EventHandler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class: the browser's `WebSocket`, or e.g. the `ws` package's in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of `connect()`; all optional in a page rendered by the app. */
export interface ConnectOptions {
  /** Socket URL without the id (default: `ws(s)://<location.host><path>`). */
  url?: string;
  /** Client view id (default: `<body data-socket-connection-id>`). */
  connectionId?: string;
  /** Socket path on the page's host, ignored when `url` is given (default `/`). */
  path?: string;
  /** WebSocket implementation (default: the global `WebSocket`). */
  WebSocket?: WebSocketConstructor;
  /** First reconnect delay cap in ms (default 250). */
  minDelay?: number;
  /** Largest reconnect delay cap in ms (default 30000). */
  maxDelay?: number;
  /** Source of jitter in [0, 1) (default `Math.random`). */
  random?: () => number;
  /**
   * Positions to start from, `{ <channel>: [epoch, offset] }` — e.g. what the page
   * rendered from `RealtimeService.history()` — presented already on the first socket.
   */
  since?: Record<string, readonly [string, number]>;
}

/** One user of `presence()` (README "Users and presence"). */
export interface RealtimePresenceUser {
  user: string;
  info: unknown;
  /** Its live connections on the channel (0 during its grace). */
  connections: number;
}

/** A join or leave on a channel the option `presence` shares. */
export interface RealtimePresenceChange {
  type: 'join' | 'leave';
  channel: string;
  user: string;
  info: unknown;
}

/** A listener of pushes: the message, and the frame it came in. */
export type RealtimeListener = (payload: unknown, frame: RealtimeFrame) => void;

/** The socket of one client view: pushes in, requests out, reconnects by itself. */
export interface RealtimeClient {
  /** The current state. */
  readonly state: RealtimeState;
  /** The client view id; the same across reconnects. */
  readonly connectionId: string;
  /** Listens to pushes on `channel` (the subscribed name), or on every channel with `'*'`. Returns an unsubscribe function. */
  on(channel: string, listener: RealtimeListener): () => void;
  /** Calls an HTTP route of the app over the socket (`call-route`). */
  call(
    method: string,
    uri: string,
    input?: unknown,
  ): Promise<RealtimeCallResult>;
  /** Sends `{id, action, ...data}` to a message handler; resolves with its first reply. */
  send(action: string, data?: Record<string, unknown>): Promise<unknown>;
  /** Who is on `channel` (a channel the view holds and the option `presence` shares; else rejects with `unauthorized`). */
  presence(channel: string): Promise<RealtimePresenceUser[]>;
  /** Listens to joins and leaves on `channel`. Returns an unsubscribe function. */
  onPresence(
    channel: string,
    listener: (change: RealtimePresenceChange) => void,
  ): () => void;
  /** Listens to state changes; called at once with the current state. Returns an unsubscribe function. */
  onState(listener: (state: RealtimeState) => void): () => void;
  /** Listens to resume frames (history on): after every open, what was recovered. Returns an unsubscribe function. */
  onResume(listener: (resume: RealtimeResume) => void): () => void;
  /** Listens to errors no request is waiting for (error frames with `id: null`, late errors of streams, bad frames). */
  onError(listener: (error: RealtimeClientError) => void): () => void;
  /** Closes the socket for good: no reconnect, pending requests rejected with `closed`. */
  close(): void;
}
