import { WebSocketGateway } from '@nestjs/websockets';
import type { Type } from '@nestjs/common';
import { REALTIME_GATEWAY_MARKER } from '../realtime.constants';

/**
 * Gateway options are decorator metadata read when gateways are bound, so the path
 * chosen in `forRoot` needs a gateway class of its own.
 */
export function createRealtimeGateway(path: string): Type<unknown> {
  class RealtimeGateway {}
  WebSocketGateway({ path, [REALTIME_GATEWAY_MARKER]: true })(RealtimeGateway);
  return RealtimeGateway;
}
