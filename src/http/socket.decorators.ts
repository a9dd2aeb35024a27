import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RealtimeConnection } from '../gateway/realtime-connection';
import { kConnection, kRealtimeService } from '../realtime.constants';
import { MIDDLEWARE_MISSING } from '../realtime.messages';
import type { RealtimeService } from '../realtime.service';
import type { RealtimeSocket } from './realtime-socket';

function socketOf(context: ExecutionContext): RealtimeSocket {
  if (context.getType() === 'ws') {
    const client = context.switchToWs().getClient() as {
      [kConnection]?: RealtimeConnection;
    };
    const socket = client?.[kConnection]?.socket;
    if (socket) return socket;
    throw new Error(MIDDLEWARE_MISSING);
  }
  const req = context
    .switchToHttp()
    .getRequest<{ [kRealtimeService]?: RealtimeService }>();
  const realtime = req?.[kRealtimeService];
  if (!realtime) throw new Error(MIDDLEWARE_MISSING);
  return realtime.socket(req as never);
}

/** The `RealtimeSocket` of the current request (or socket message). */
export const Socket = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => socketOf(context),
);

/** The connection id of the current request (or socket message). */
export const SocketConnectionId = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => socketOf(context).connectionId,
);
