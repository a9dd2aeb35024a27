import type { INestApplicationContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { REALTIME_GATEWAY_MARKER } from '../realtime.constants';
import { ConnectionAcceptor } from './connection-acceptor';
import { kConnection } from './realtime-connection';

type GatewayOptions = Record<string, unknown> & { path?: string };

/** Whether Nest hands the adapter one of our sockets (the acceptor marked it). */
function isOurSocket(client: unknown): boolean {
  return Boolean(
    (client as { [kConnection]?: unknown } | undefined)?.[kConnection],
  );
}

/**
 * `app.useWebSocketAdapter(new RealtimeWsAdapter(app))`: a WsAdapter whose realtime
 * gateway shares the HTTP port and applies the origin check, payload limit and
 * handshake rules of README "Security and limits". Other gateways of the app work as with WsAdapter.
 */
export class RealtimeWsAdapter extends WsAdapter {
  constructor(private readonly app: INestApplicationContext) {
    // A ModuleRef (the module's own default adapter) is no HTTP server: that is found in create().
    super((app instanceof ModuleRef ? undefined : app) as never);
  }

  override create(
    port: number,
    options?: GatewayOptions,
  ): ReturnType<WsAdapter['create']> {
    if (!options?.[REALTIME_GATEWAY_MARKER])
      return super.create(port, options as never);
    const { [REALTIME_GATEWAY_MARKER]: _marker, ...gatewayOptions } = options;
    const self = this as unknown as { httpServer: unknown };
    self.httpServer ??= this.app
      .get(HttpAdapterHost, { strict: false })
      .httpAdapter?.getHttpServer();
    const acceptor = this.app.get(ConnectionAcceptor, { strict: false });
    const server = super.create(port, {
      ...gatewayOptions,
      ...acceptor.serverOptions(),
      [REALTIME_GATEWAY_MARKER]: true,
    } as never);
    acceptor.bind(server);
    this.logOtherPaths(self.httpServer, gatewayOptions.path);
    return server;
  }

  /**
   * Takes our listener off the HTTP server with WsAdapter's own: an 'upgrade' listener
   * that does not take the socket would hold it open, and with it the HTTP server's
   * close (a browser reconnecting between the two steps of app.close()).
   */
  override async dispose(): Promise<void> {
    this.stopLogging?.();
    this.stopLogging = undefined;
    await super.dispose();
  }

  private stopLogging: (() => void) | undefined;

  /** Upgrades to another path are told at debug (README "Troubleshooting": nothing arrives?). */
  private logOtherPaths(httpServer: unknown, path: string | undefined): void {
    const server = httpServer as
      | {
          on?(event: 'upgrade', listener: (req: IncomingMessage) => void): void;
          off?(
            event: 'upgrade',
            listener: (req: IncomingMessage) => void,
          ): void;
        }
      | undefined;
    if (!server?.on || !path || this.stopLogging) return;
    const listener = (req: IncomingMessage) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q === -1 ? url : url.slice(0, q);
      if (pathname !== path)
        this.logger.debug(
          `WebSocket upgrade to ${JSON.stringify(pathname.slice(0, 200))}: not the realtime path "${path}" (the client's path option must match the module's "path"; another gateway of the app may serve it)`,
        );
    };
    server.on('upgrade', listener);
    this.stopLogging = () => server.off?.('upgrade', listener);
  }

  /**
   * WsAdapter logs every socket error at `error` with a stack; on our sockets those are
   * client-triggered protocol errors (bad frames, bad UTF-8, oversize), which the
   * acceptor logs once at `warn` (README "Security and limits"): a client must not be able to flood the logs.
   */
  override bindErrorHandler(server: {
    options?: Record<string, unknown>;
    on(event: 'error', listener: (error: Error) => void): unknown;
  }): unknown {
    if (!server.options?.[REALTIME_GATEWAY_MARKER])
      return super.bindErrorHandler(server);
    server.on('error', (error) => this.logger.error(error));
    return server;
  }

  /**
   * Nest binds a `once('close')` closure per client for the gateway's
   * `handleDisconnect`; ours has none (the acceptor's shared close listener does the
   * work), so our sockets skip it: about 200 bytes a connection.
   */
  override bindClientDisconnect(
    ...args: Parameters<WsAdapter['bindClientDisconnect']>
  ): void {
    if (isOurSocket(args[0])) return;
    super.bindClientDisconnect(...args);
  }

  override bindMessageHandlers(
    ...args: Parameters<WsAdapter['bindMessageHandlers']>
  ): void {
    // Our sockets speak README "Wire protocol", dispatched by the acceptor; Nest's {event,data} parser stays off them.
    if (isOurSocket(args[0])) return;
    super.bindMessageHandlers(...args);
  }
}
