import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { WebSocket, WebSocketServer } from 'ws';
import { platformTrust } from '../http/platform';
import { clientAddress } from '../identity/client-address';
import { isOriginAllowed } from '../identity/origin';
import { presentedIdentity, queryParam } from '../identity/presented-identity';
import { RealtimeIdentity } from '../identity/realtime-identity';
import { handlerHeaders } from './handler-headers';
import { CloseCode } from '../protocol';
import { decodeSince, type Positions, SINCE_PARAM } from '../protocol/resume';
import { REALTIME_OPTIONS } from '../realtime.constants';
import { UNEXPECTED_HANDSHAKE } from '../realtime.messages';
import type { ResolvedRealtimeOptions } from '../options';
import { RealtimeChannels } from '../realtime-channels';
import { RealtimeSocket } from '../realtime-socket';
import { RealtimeStatsCounter } from '../realtime-stats.counter';
import { ConnectionHub } from './connection-hub';
import { ConnectionLimits } from './connection-limits';
import { Heartbeat } from './heartbeat';
import { Inbound } from './inbound';
import {
  type ConnectionPlace,
  type LocalView,
  RealtimeConnection,
} from './realtime-connection';
import { RealtimeWebSocket } from './realtime-web-socket';
import { socketListeners } from './socket-listeners';

interface Handshake {
  place: ConnectionPlace;
  /** Null for an inert connection. */
  valid: { connectionId: string; view: LocalView } | null;
  connected: boolean;
  /** The positions the client presented (history on). */
  since?: Positions;
  /** Why the connection is inert (logged at debug: README "Troubleshooting"). */
  inert?: string;
}

/** Why a handshake's identity does not make a view (never logs the key or the id). */
function inertReason(
  key: string | undefined,
  connectionId: string | undefined,
): string {
  if (!connectionId) return 'no connection id presented';
  if (!key)
    return 'no socket key this server issued presented (cookie, X-Socket-Key or socket_key)';
  return 'the connection id was not issued for this key (another browser, or a restart without a fixed "secret")';
}

/** Request property holding the handshake result of an upgrade request. */
const kHandshake = Symbol.for('nestjs-realtime.handshake');

type UpgradeRequest = IncomingMessage & { [kHandshake]?: Handshake };
type VerifyCallback = (
  result: boolean,
  code?: number,
  message?: string,
) => void;

/** The longest `since` read (Node refuses request heads above 16 KiB anyway). */
const MAX_SINCE = 16 * 1024;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/**
 * The handshake rules of README "Security and limits" and the life of each accepted socket. Plugged into
 * the `ws` server that RealtimeWsAdapter creates for the realtime gateway.
 */
@Injectable()
export class ConnectionAcceptor {
  private readonly logger = new Logger('Realtime');
  private readonly limits: ConnectionLimits;
  private readonly listeners: ReturnType<typeof socketListeners>;
  private server: WebSocketServer | undefined;
  private accepting = true;

  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    private readonly identity: RealtimeIdentity,
    private readonly hub: ConnectionHub,
    inbound: Inbound,
    private readonly channels: RealtimeChannels,
    private readonly stats: RealtimeStatsCounter,
    heartbeat: Heartbeat,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.limits = new ConnectionLimits(
      options.maxConnections,
      options.maxConnectionsPerAddress,
      options.maxConnectionsPerClient,
    );
    this.listeners = socketListeners(
      inbound,
      hub,
      heartbeat,
      this.limits,
      stats,
    );
  }

  /** Whether RealtimeWsAdapter bound the gateway's server to this acceptor. */
  get bound(): boolean {
    return this.server !== undefined;
  }

  /** `ws` server options for the realtime gateway. */
  serverOptions(): Record<string, unknown> {
    return {
      maxPayload: this.options.maxPayload,
      perMessageDeflate: false,
      // Its events go to this app's shared listeners without a listener table per socket.
      WebSocket: RealtimeWebSocket,
      // Pings are answered by the connection's listener (rate limit, backlog check).
      autoPong: false,
      verifyClient: (
        info: { req: IncomingMessage },
        callback: VerifyCallback,
      ) => this.verify(info.req, callback),
    };
  }

  bind(server: WebSocketServer): void {
    this.server = server;
    server.on('connection', (ws: WebSocket, req: IncomingMessage) =>
      this.accept(ws, req),
    );
  }

  /** Shutdown: every later handshake gets 503. */
  stopAccepting(): void {
    this.accepting = false;
  }

  private refuse(
    callback: VerifyCallback,
    status: number,
    reason: string,
    log: string,
  ): void {
    this.stats.reject(reason);
    this.logger.warn(`Refused a WebSocket handshake (${reason}): ${log}`);
    callback(false, status, STATUS_TEXT[status]);
  }

  private verify(req: UpgradeRequest, callback: VerifyCallback): void {
    const address = clientAddress(req, platformTrust(this.adapterHost)) ?? '';
    const from = `from ${address || '?'}`;
    if (!this.accepting)
      return this.refuse(callback, 503, 'shutting_down', from);
    if (!isOriginAllowed(req, this.options)) {
      return this.refuse(
        callback,
        403,
        'origin',
        `origin ${JSON.stringify(String(req.headers.origin).slice(0, 200))} ${from}`,
      );
    }
    let since: Positions | undefined;
    const sinceText =
      this.options.history === false ? undefined : queryParam(req, SINCE_PARAM);
    if (sinceText !== undefined) {
      const decoded = decodeSince(sinceText, MAX_SINCE);
      if (!decoded.ok)
        return this.refuse(
          callback,
          400,
          'bad_since',
          `the "since" parameter is ${decoded.problem} ${from}`,
        );
      since = decoded.positions;
    }
    const { key, connectionId } = presentedIdentity(
      req,
      this.options.cookie.name,
      this.identity,
      true,
    );
    const valid =
      // presentedIdentity() checked the key: only the id is left to check.
      !!key && !!connectionId && this.identity.isIssuedFor(connectionId, key);
    if (!valid && this.options.onInvalidConnection === 'reject') {
      return this.refuse(
        callback,
        403,
        'invalid_connection',
        `connection id not issued for its key ${from}`,
      );
    }
    // Per address whatever the keys, and per issued key; the key itself is never logged.
    const place: ConnectionPlace = { address, key };
    const reserved = this.limits.reserve(address, key);
    if (reserved !== 'ok') {
      const [status, option, limit] =
        reserved === 'global_cap'
          ? [503, 'maxConnections', this.options.maxConnections]
          : reserved === 'address_cap'
            ? [
                429,
                'maxConnectionsPerAddress',
                this.options.maxConnectionsPerAddress,
              ]
            : [
                429,
                'maxConnectionsPerClient',
                this.options.maxConnectionsPerClient,
              ];
      return this.refuse(
        callback,
        status,
        reserved,
        `${option} (${limit}) reached ${from}`,
      );
    }
    // An id that was not issued for this key, or a view revoked by disconnect(): the socket opens, inert.
    const inert = (reason: string) =>
      this.complete(
        req,
        { place, valid: null, connected: false, since, inert: reason },
        callback,
      );
    if (!valid) return inert(inertReason(key, connectionId));
    this.hub.open(this.identity.digest(key, connectionId)).then(
      (view) =>
        this.complete(
          req,
          { place, valid: { connectionId, view }, connected: false, since },
          callback,
        ),
      (error: unknown) => {
        if ((error as { code?: unknown } | null)?.code === 'revoked')
          return inert('the view was revoked (disconnect())');
        this.limits.release(address, key);
        this.stats.registryError('attach');
        this.refuse(
          callback,
          503,
          'registry_unavailable',
          `the registry could not load the view's subscriptions (${String(error)})`,
        );
      },
    );
  }

  /** ws completes the upgrade synchronously inside the callback and emits 'connection'. */
  private complete(
    req: UpgradeRequest,
    handshake: Handshake,
    callback: VerifyCallback,
  ): void {
    try {
      if (this.accepting) {
        req[kHandshake] = handshake;
        // ws writes the 101 inside the callback; the resume frame follows in this turn.
        this.hub.cork.hold(req.socket);
        callback(true);
      } else {
        // Shutdown began while the view loaded: its sockets are closed already, this one would outlive it.
        this.refuse(callback, 503, 'shutting_down', 'after shutdown began');
      }
    } catch (error) {
      this.logger.error(error);
    } finally {
      if (!handshake.connected) {
        // The upgrade did not complete: the client went away, or shutdown refused it.
        this.limits.release(handshake.place.address, handshake.place.key);
        if (handshake.valid) this.hub.abandon(handshake.valid.view);
      }
    }
  }

  private accept(ws: WebSocket, req: UpgradeRequest): void {
    const handshake = req[kHandshake];
    if (!handshake) {
      // Only verified handshakes reach here; anything else is closed as a server error.
      ws.close(CloseCode.ServerError, UNEXPECTED_HANDSHAKE);
      return;
    }
    handshake.connected = true;
    this.stats.accepted++;
    const valid = handshake.valid;
    const socket = valid
      ? new RealtimeSocket(
          valid.connectionId,
          valid.view.digest,
          true,
          this.channels,
        )
      : null;
    // Keep what handlers need, not the IncomingMessage with its buffers and raw headers.
    const request = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: handlerHeaders(req.headers),
      ip: handshake.place.address || undefined,
      socket: {
        remoteAddress: req.socket.remoteAddress,
        remotePort: req.socket.remotePort,
        encrypted: (req.socket as TLSSocket).encrypted === true,
      },
    };
    const connection = new RealtimeConnection(
      ws,
      request,
      valid?.connectionId ?? null,
      valid?.view ?? null,
      socket,
      handshake.place,
      this.options.rateLimit.messages,
      this.hub,
    );
    this.hub.add(connection, handshake.since);
    this.logger.debug(
      `Socket connected${valid ? ` (${valid.connectionId})` : ` (inert: ${handshake.inert})`} from ${request.ip ?? '?'}`,
    );
    // One listener of each kind for every socket (no closures per connection).
    if (ws instanceof RealtimeWebSocket) {
      ws.events = this.listeners;
      return;
    }
    // A socket of another class (a server made without our options): added one by one.
    ws.on('message', this.listeners.message);
    ws.on('ping', this.listeners.ping);
    ws.on('pong', this.listeners.pong);
    ws.on('error', this.listeners.error);
    // 'close' comes once; `once` would wrap the shared listener in a closure per socket.
    ws.on('close', this.listeners.close);
  }
}
