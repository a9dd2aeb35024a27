import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { RealtimeRequest } from '../identity/presented-identity';
import { REALTIME_OPTIONS } from '../realtime.constants';
import { exposeConnectionId, withConnectionId } from './html-injection';
import { SocketCalls } from './socket-calls';
import { SocketContexts } from './socket-contexts';

/** Request property holding the socket contexts of the app that handles the request. */
export const kSocketContexts = Symbol.for('nestjs-realtime.contexts');

export type ContextsRequest = RealtimeRequest & {
  [kSocketContexts]?: SocketContexts;
  /** A Fastify request: the hooks put the contexts on its raw request. */
  raw?: RealtimeRequest & { [kSocketContexts]?: SocketContexts };
};

type ExpressLikeResponse = ServerResponse & {
  send?: (body?: unknown) => unknown;
  locals?: Record<string, unknown>;
};

/**
 * Runs for every HTTP route of the app: makes the request's socket context reachable
 * (`@Socket()`), exposes `res.locals.socketConnectionId` to templates, and injects the
 * id into HTML bodies sent as strings, with `res.send`, or rendered by `@Render`
 * (Express's `res.render` ends in `res.send`).
 */
@Injectable()
export class RealtimeHttpMiddleware implements NestMiddleware {
  constructor(
    private readonly contexts: SocketContexts,
    @Inject(REALTIME_OPTIONS)
    private readonly options: { injectConnectionId: boolean },
    private readonly calls: SocketCalls,
  ) {}

  use(req: ContextsRequest, res: ExpressLikeResponse, next: () => void): void {
    const contexts = this.contexts;
    req[kSocketContexts] = contexts;
    // A call-route request: the route runs as the calling connection.
    const call = this.calls.claim(req);
    if (call) contexts.adopt(req, call.socket);
    const connectionId = () => contexts.resolve(req).connectionId;
    exposeConnectionId(res.locals, connectionId);
    const send = res.send;
    if (this.options.injectConnectionId && typeof send === 'function') {
      let injected = false;
      res.send = function (this: ExpressLikeResponse, body?: unknown) {
        if (!injected) {
          const sent = withConnectionId(
            body,
            this.getHeader('Content-Type'),
            connectionId,
          );
          injected = sent !== body;
          body = sent;
        }
        return send.call(this, body);
      };
    }
    next();
  }
}
