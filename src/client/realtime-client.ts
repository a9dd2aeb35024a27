import { CONNECTION_ID_PARAM, DEFAULT_PATH, OPEN } from '../protocol/wire';
import { CloseCode } from '../protocol/close-codes';
import { encodeSince, SINCE_PARAM } from '../protocol/resume';
import { backoffDelay } from './backoff';
import { RealtimeClientError } from './realtime-client.error';
import type {
  ConnectOptions,
  RealtimeCallResult,
  RealtimeClient,
  RealtimeFrame,
  RealtimeListener,
  RealtimePresenceChange,
  RealtimePresenceUser,
  RealtimeResume,
  RealtimeState,
  WebSocketConstructor,
  WebSocketLike,
} from './realtime-client.types';

// The server closes with 1008 when it refuses this client (strict handshake, rate
// limit): retrying would only be refused again. Every other code (1001 shutdown,
// 1006 lost connection, 4000 slow consumer, …) is worth a reconnect.
const POLICY_VIOLATION = CloseCode.Policy;
const REVOKED = CloseCode.Revoked;

// The browser globals the client reads, typed here so the code also type-checks
// (and runs, with `connectionId`, `url` and `WebSocket` given) outside a page.
interface BrowserGlobals {
  WebSocket?: WebSocketConstructor;
  document?: {
    body?: { dataset?: Record<string, string | undefined> } | null;
  };
  location?: { protocol: string; host: string };
}

interface Pending {
  resolve(payload: unknown): void;
  reject(error: RealtimeClientError): void;
}

type StateListener = (state: RealtimeState) => void;
type ErrorListener = (error: RealtimeClientError) => void;
type ResumeListener = (resume: RealtimeResume) => void;
type PresenceListener = (change: RealtimePresenceChange) => void;

/** Adds `listener` to the set of `key`; the returned function removes it (and the set once empty). */
function listen<L>(
  map: Map<string, Set<L>>,
  key: string,
  listener: L,
): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(listener);
  return () => {
    const listeners = map.get(key);
    if (listeners && listeners.delete(listener) && listeners.size === 0)
      map.delete(key);
  };
}

const browser = globalThis as unknown as BrowserGlobals;
const noop = (): void => undefined;

/**
 * Opens the socket of this page's client view: the id comes from
 * `<body data-socket-connection-id>` (or `options.connectionId`), the URL is
 * `ws(s)://<host><path>?socket_connection_id=<id>`, and the key travels in the
 * HttpOnly cookie the page's response set. Throws when there is no id.
 */
export function connect(options: ConnectOptions = {}): RealtimeClient {
  const connectionId =
    options.connectionId ?? browser.document?.body?.dataset?.socketConnectionId;
  if (!connectionId)
    throw new Error(
      'nestjs-realtime: the page has no data-socket-connection-id on <body> ' +
        '(call connect() once <body> exists, or pass options.connectionId)',
    );
  const WebSocketClass = options.WebSocket ?? browser.WebSocket;
  if (!WebSocketClass)
    throw new Error(
      'nestjs-realtime: no WebSocket class here; pass options.WebSocket',
    );
  return new Client(
    connectionId,
    socketUrl(options, connectionId),
    WebSocketClass,
    options.minDelay ?? 250,
    options.maxDelay ?? 30000,
    options.random ?? Math.random,
    options.since,
  );
}

function socketUrl(options: ConnectOptions, connectionId: string): string {
  const query = CONNECTION_ID_PARAM + '=' + encodeURIComponent(connectionId);
  if (options.url !== undefined)
    return options.url + (options.url.includes('?') ? '&' : '?') + query;
  const location = browser.location;
  if (!location)
    throw new Error('nestjs-realtime: no location here; pass options.url');
  return (
    (location.protocol === 'https:' ? 'wss' : 'ws') +
    '://' +
    location.host +
    (options.path ?? DEFAULT_PATH) +
    '?' +
    query
  );
}

/**
 * Heartbeats need no code: the server sends WebSocket ping control frames and
 * browsers (and `ws`) answer them with pongs by themselves; page scripts never
 * see them.
 */
class Client implements RealtimeClient {
  private current: RealtimeState = 'connecting';
  private socket: WebSocketLike | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Failed tries since the socket was last open: the backoff exponent. */
  private attempt = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<RealtimeListener>>();
  private readonly presenceListeners = new Map<string, Set<PresenceListener>>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly errorListeners = new Set<ErrorListener>();
  private readonly resumeListeners = new Set<ResumeListener>();
  /** The last position seen per channel (README "Delivery guarantees"): presented as `since` on every reconnect. */
  private readonly positions = new Map<
    string,
    [epoch: string, offset: number]
  >();
  /** The open socket has had its first resume frame. */
  private resumed = false;

  constructor(
    readonly connectionId: string,
    private readonly url: string,
    private readonly WebSocketClass: WebSocketConstructor,
    private readonly minDelay: number,
    private readonly maxDelay: number,
    private readonly random: () => number,
    since: Readonly<Record<string, readonly [string, number]>> | undefined,
  ) {
    // Positions the page was rendered at (README "Delivery guarantees"): the first socket presents them too.
    if (since)
      for (const channel of Object.keys(since))
        this.positions.set(channel, [since[channel][0], since[channel][1]]);
    this.open();
  }

  get state(): RealtimeState {
    return this.current;
  }

  on(channel: string, listener: RealtimeListener): () => void {
    return listen(this.listeners, channel, listener);
  }

  presence(channel: string): Promise<RealtimePresenceUser[]> {
    return this.send('presence', { channel }) as Promise<
      RealtimePresenceUser[]
    >;
  }

  onPresence(channel: string, listener: PresenceListener): () => void {
    return listen(this.presenceListeners, channel, listener);
  }

  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    safely(listener, this.current);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  onResume(listener: ResumeListener): () => void {
    this.resumeListeners.add(listener);
    return () => {
      this.resumeListeners.delete(listener);
    };
  }

  onError(listener: ErrorListener): () => void {
    this.errorListeners.add(listener);
    return () => {
      this.errorListeners.delete(listener);
    };
  }

  call(
    method: string,
    uri: string,
    input?: unknown,
  ): Promise<RealtimeCallResult> {
    return this.send('call-route', {
      method,
      uri,
      input,
    }) as Promise<RealtimeCallResult>;
  }

  /**
   * Requests need an open socket: while `connecting` or `reconnecting` they are
   * rejected at once with `not_open` rather than queued, so the app decides what a
   * request made offline means (retry after `onState('open')`, or give up).
   */
  send(action: string, data?: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const socket = this.socket;
      if (this.current !== 'open' || !socket || socket.readyState !== OPEN)
        throw new RealtimeClientError(
          'not_open',
          `cannot send "${action}": the socket is ${this.current}`,
        );
      const id = this.nextId++;
      // `id` and `action` first and not overridable by `data`.
      socket.send(
        JSON.stringify(Object.assign({ id, action }, data, { id, action })),
      );
      this.pending.set(id, { resolve, reject });
    });
  }

  close(): void {
    if (this.current === 'closed') return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.setState('closed');
    this.rejectPending('the client was closed');
    if (socket) socket.close(CloseCode.Normal);
  }

  private open(): void {
    this.timer = undefined;
    const socket = new this.WebSocketClass(this.sinceUrl());
    this.socket = socket;
    this.resumed = false;
    // Events of a socket this client let go of (close(), or a replaced one) are ignored.
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.setState('open');
    };
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.closed(event.code);
    };
    // A close event always follows, with what matters; a handler must stay attached
    // (`ws` throws an error event nobody listens to).
    socket.onerror = noop;
  }

  /** The socket URL, with the last positions once there are some. */
  private sinceUrl(): string {
    if (this.positions.size === 0) return this.url;
    const since: Record<string, [string, number]> = {};
    this.positions.forEach((position, channel) => (since[channel] = position));
    return this.url + '&' + SINCE_PARAM + '=' + encodeSince(since);
  }

  /**
   * A resume frame: keep (or start at offset 0) the position of every channel it names;
   * the first one of a socket names all of the view's channels, so the others are
   * dropped (the view left them).
   */
  private resume(resume: RealtimeResume): void {
    const epochs = resume.epoch ?? {};
    if (!this.resumed)
      this.positions.forEach((_, channel) => {
        if (!Object.prototype.hasOwnProperty.call(epochs, channel))
          this.positions.delete(channel);
      });
    this.resumed = true;
    for (const channel of Object.keys(epochs)) {
      const position = this.positions.get(channel);
      if (!position || position[0] !== epochs[channel])
        this.positions.set(channel, [epochs[channel], 0]);
    }
    for (const listener of Array.from(this.resumeListeners))
      safely(listener, resume);
  }

  /** False for a push already seen (a replay and a live push of one message: handlers see it once). */
  private fresh(frame: RealtimeFrame): boolean {
    const offset = frame.offset;
    const position = this.positions.get(frame.channel);
    if (typeof offset !== 'number' || !position) return true;
    if (offset <= position[1]) return false;
    position[1] = offset;
    return true;
  }

  private closed(code: number): void {
    this.socket = undefined;
    if (code === POLICY_VIOLATION || code === REVOKED) {
      this.setState('closed');
      this.rejectPending(
        code === REVOKED
          ? `the server revoked this client (${code})`
          : `the server refused this client (${code})`,
      );
      return;
    }
    this.setState('reconnecting');
    this.rejectPending(`the socket closed (${code})`);
    // close() from a listener above wins.
    if (this.current !== 'reconnecting') return;
    const delay = backoffDelay(
      this.attempt++,
      this.minDelay,
      this.maxDelay,
      this.random,
    );
    this.timer = setTimeout(() => this.reconnect(), delay);
  }

  private reconnect(): void {
    try {
      this.open();
    } catch (error) {
      // A constructor that throws now (it did not at first) counts as a failed try.
      console.error('nestjs-realtime: cannot open the socket', error);
      this.closed(0);
    }
  }

  private receive(data: unknown): void {
    let frame: unknown;
    try {
      frame = typeof data === 'string' ? JSON.parse(data) : undefined;
    } catch {
      frame = undefined;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame))
      return this.report(
        new RealtimeClientError(
          'bad_frame',
          'a frame that is not a JSON object',
        ),
      );
    const { channel, id, error, resume, presence } = frame as Record<
      string,
      unknown
    >;
    if (typeof channel === 'string' && presence) {
      // `{"channel","presence":{"join"|"leave":{user,info}}}` (README "Users and presence").
      const change = presence as Record<
        string,
        { user: string; info: unknown }
      >;
      const type = change.join ? 'join' : 'leave';
      const who = change[type];
      const listeners = this.presenceListeners.get(channel);
      if (listeners && who)
        for (const listener of Array.from(listeners))
          safely(listener, { type, channel, user: who.user, info: who.info });
      return;
    }
    if (typeof channel === 'string') {
      if (this.fresh(frame as RealtimeFrame))
        this.emit(channel, frame as RealtimeFrame);
      return;
    }
    if (typeof resume === 'object' && resume !== null)
      return this.resume(resume as RealtimeResume);
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (error !== undefined) {
      const failure = requestError(error);
      if (!pending) return this.report(failure);
      this.pending.delete(id as number);
      pending.reject(failure);
    } else if (pending) {
      // The first reply settles a request; later ones (a stream) are not awaited.
      this.pending.delete(id as number);
      pending.resolve((frame as { payload?: unknown }).payload);
    }
  }

  private emit(channel: string, frame: RealtimeFrame): void {
    this.notify(this.listeners.get(channel), frame);
    if (channel !== '*') this.notify(this.listeners.get('*'), frame);
  }

  private notify(
    listeners: Set<RealtimeListener> | undefined,
    frame: RealtimeFrame,
  ): void {
    if (!listeners) return;
    // A copy: listeners may (un)subscribe while being called.
    for (const listener of Array.from(listeners))
      safely(listener, frame.payload, frame);
  }

  private report(error: RealtimeClientError): void {
    if (this.errorListeners.size === 0)
      console.error('nestjs-realtime:', error);
    for (const listener of Array.from(this.errorListeners))
      safely(listener, error);
  }

  private setState(state: RealtimeState): void {
    if (this.current === state) return;
    this.current = state;
    for (const listener of Array.from(this.stateListeners))
      safely(listener, state);
  }

  private rejectPending(message: string): void {
    if (this.pending.size === 0) return;
    const pending = Array.from(this.pending.values());
    this.pending.clear();
    for (const request of pending)
      request.reject(new RealtimeClientError('closed', message));
  }
}

function requestError(error: unknown): RealtimeClientError {
  const { code, message, status } = (
    typeof error === 'object' && error !== null ? error : {}
  ) as Record<string, unknown>;
  return new RealtimeClientError(
    typeof code === 'string' ? code : 'error',
    typeof message === 'string' ? message : 'the request failed',
    typeof status === 'number' ? status : undefined,
  );
}

/** Calls a listener; what it throws is logged and goes no further. */
function safely<A extends unknown[]>(
  listener: (...args: A) => void,
  ...args: A
): void {
  try {
    listener(...args);
  } catch (error) {
    console.error('nestjs-realtime: a listener threw', error);
  }
}
