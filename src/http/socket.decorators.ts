import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RealtimeContext } from '../interfaces/realtime-message';
import { MIDDLEWARE_MISSING } from '../realtime.messages';
import type { RealtimeSocket } from '../realtime-socket';
import {
  kSocketContexts,
  type ContextsRequest,
} from './realtime-http.middleware';

function socketOf(context: ExecutionContext): RealtimeSocket {
  if (context.getType() === 'ws') {
    // Socket messages: the handler's third argument is the connection's RealtimeContext.
    const realtime = context.getArgByIndex<RealtimeContext | undefined>(2);
    if (realtime?.socket) return realtime.socket;
    throw new Error(MIDDLEWARE_MISSING);
  }
  const req = context.switchToHttp().getRequest<ContextsRequest>();
  const contexts = req?.[kSocketContexts] ?? req?.raw?.[kSocketContexts];
  if (!contexts) throw new Error(MIDDLEWARE_MISSING);
  return contexts.resolve(req);
}

/** The `RealtimeSocket` of the current request (or socket message). */
export const Socket = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => socketOf(context),
);

/** The connection id of the current request (or socket message). */
export const SocketConnectionId = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => socketOf(context).connectionId,
);
