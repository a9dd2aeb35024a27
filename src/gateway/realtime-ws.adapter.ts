import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { Observable } from 'rxjs';
import { kConnection, REALTIME_GATEWAY_MARKER } from '../realtime.constants';
import { ConnectionAcceptor } from './connection-acceptor';

type GatewayOptions = Record<string, unknown> & { path?: string };

/**
 * `app.useWebSocketAdapter(new RealtimeWsAdapter(app))`: a WsAdapter whose realtime
 * gateway shares the HTTP port and applies the origin check, payload limit and
 * handshake rules of SPEC §5–§7. Other gateways of the app work as with WsAdapter.
 */
export class RealtimeWsAdapter extends WsAdapter {
  constructor(private readonly app: INestApplicationContext) {
    super(app as never);
  }

  override create(port: number, options?: GatewayOptions): any {
    if (!options?.[REALTIME_GATEWAY_MARKER])
      return super.create(port, options as never);
    const { [REALTIME_GATEWAY_MARKER]: _marker, ...gatewayOptions } = options;
    const acceptor = this.app.get(ConnectionAcceptor, { strict: false });
    const server = super.create(port, {
      ...gatewayOptions,
      ...acceptor.serverOptions(),
    } as never);
    acceptor.bind(server);
    return server;
  }

  override bindMessageHandlers(
    client: any,
    handlers: any[],
    transform: (data: any) => Observable<any>,
  ): void {
    // Our sockets speak SPEC §4, dispatched by the acceptor; Nest's {event,data} parser stays off them.
    if (client?.[kConnection]) return;
    super.bindMessageHandlers(client, handlers as never, transform);
  }
}
