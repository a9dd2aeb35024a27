import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { MessageDispatcher } from '../handlers/message-dispatcher';
import { RealtimeSocket } from '../http/realtime-socket';
import { SocketResolver } from '../http/socket-resolver';
import { isOriginAllowed } from '../identity/origin';
import { RealtimeIdentity } from '../identity/realtime-identity';
import { kHandshake, REALTIME_OPTIONS } from '../realtime.constants';
import type { ResolvedRealtimeOptions } from '../realtime.options';
import { RealtimeService } from '../realtime.service';
import { RealtimeStatsCounter } from '../realtime-stats.counter';
import { ConnectionHub } from './connection-hub';
import { type LocalView, RealtimeConnection } from './realtime-connection';

interface ValidHandshake {
  connectionId: string;
  view: LocalView;
  connected: boolean;
}

type Handshake = ValidHandshake | 'inert';
type UpgradeRequest = IncomingMessage & { [kHandshake]?: Handshake };
type VerifyCallback = (
  result: boolean,
  code?: number,
  message?: string,
) => void;

/**
 * The handshake rules of SPEC §5/§6 and the life of each accepted socket. Plugged into
 * the `ws` server that RealtimeWsAdapter creates for the realtime gateway.
 */
@Injectable()
export class ConnectionAcceptor {
  private readonly logger = new Logger('Realtime');
  private server: WebSocketServer | undefined;

  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    private readonly identity: RealtimeIdentity,
    private readonly resolver: SocketResolver,
    private readonly hub: ConnectionHub,
    private readonly dispatcher: MessageDispatcher,
    private readonly realtime: RealtimeService,
    private readonly stats: RealtimeStatsCounter,
  ) {}

  /** Whether RealtimeWsAdapter bound the gateway's server to this acceptor. */
  get bound(): boolean {
    return this.server !== undefined;
  }

  /** `ws` server options for the realtime gateway. */
  serverOptions(): Record<string, unknown> {
    return {
      maxPayload: this.options.maxPayload,
      perMessageDeflate: false,
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

  private verify(req: UpgradeRequest, callback: VerifyCallback): void {
    if (!isOriginAllowed(req, this.options)) {
      this.stats.reject('origin');
      this.logger.warn(
        `Refused a WebSocket handshake from origin ${JSON.stringify(String(req.headers.origin).slice(0, 200))}`,
      );
      return callback(false, 403, 'Forbidden');
    }
    const { key, connectionId } = this.resolver.presented(req);
    if (!key || !connectionId || !this.identity.isIssued(connectionId, key)) {
      if (this.options.onInvalidConnection === 'reject') {
        this.stats.reject('invalid_connection');
        return callback(false, 403, 'Forbidden');
      }
      req[kHandshake] = 'inert';
      return callback(true);
    }
    this.hub.open(this.identity.digest(key, connectionId)).then(
      (view) => {
        const handshake: ValidHandshake = {
          connectionId,
          view,
          connected: false,
        };
        req[kHandshake] = handshake;
        try {
          callback(true); // ws completes the upgrade synchronously and emits 'connection'
        } catch (error) {
          this.logger.error(error);
        } finally {
          if (!handshake.connected) this.hub.abandon(view);
        }
      },
      (error: unknown) => {
        this.stats.reject('registry_unavailable');
        this.logger.error(
          `Refused a WebSocket handshake: the registry could not load its subscriptions (${String(error)})`,
        );
        callback(false, 503, 'Service Unavailable');
      },
    );
  }

  private accept(ws: WebSocket, req: UpgradeRequest): void {
    const handshake = req[kHandshake] ?? 'inert';
    let connection: RealtimeConnection;
    if (handshake === 'inert') {
      connection = new RealtimeConnection(ws, req, null, null, null);
    } else {
      handshake.connected = true;
      const socket = new RealtimeSocket(
        handshake.connectionId,
        handshake.view.digest,
        true,
        this.realtime,
      );
      connection = new RealtimeConnection(
        ws,
        req,
        handshake.connectionId,
        handshake.view,
        socket,
      );
    }
    this.hub.add(connection);
    ws.on('message', (data, isBinary) =>
      this.dispatcher.dispatch(connection, data, isBinary),
    );
    ws.once('close', () => {
      connection.endStreams();
      this.hub.remove(connection);
    });
  }
}
