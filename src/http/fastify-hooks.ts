import type { RealtimeRequest } from '../identity/presented-identity';
import type { FastifyLike } from './platform';
import { exposeConnectionId, withConnectionId } from './html-injection';
import { kSocketContexts } from './realtime-http.middleware';
import { prepareCallSocket, type SocketCalls } from './socket-calls';
import {
  kReply,
  type FastifyReplyLike,
  type SocketContexts,
} from './socket-contexts';

interface FastifyRequestLike {
  raw: RealtimeRequest & {
    [kSocketContexts]?: SocketContexts;
    [kReply]?: FastifyReplyLike;
  };
}

/** The Fastify request itself (its parsed query and body count), cached on its raw request. */
function asRequest(request: FastifyRequestLike): RealtimeRequest {
  return request as unknown as RealtimeRequest;
}

type Done = (error?: Error | null, payload?: unknown) => void;

/**
 * What the realtime middleware does on Express, as Fastify hooks: every request reaches its
 * socket context (`@Socket()`, `RealtimeService.socket(req)` with the Fastify or the raw
 * request), templates of `@fastify/view` see `socketConnectionId` in `reply.locals`, and
 * every `text/html` string reply — returned, `reply.send`, or rendered by `@Render` — gets
 * the connection id on its `<body>` tag.
 */
export function installFastifyHooks(
  instance: FastifyLike,
  contexts: SocketContexts,
  calls: SocketCalls,
  options: { injectConnectionId: boolean },
): void {
  instance.addHook('onRequest', ((
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
    done: Done,
  ) => {
    const raw = request.raw;
    raw[kSocketContexts] = contexts;
    raw[kReply] = reply;
    // A call-route request: the route runs as the calling connection.
    const call = calls.claim(raw);
    if (call) {
      contexts.adopt(raw, call.socket);
      prepareCallSocket(raw.socket, call.encrypted);
    }
    done();
  }) as never);
  instance.addHook('preHandler', ((
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
    done: Done,
  ) => {
    // After every onRequest hook, so @fastify/view's own `reply.locals = {}` is already made.
    exposeConnectionId(
      reply.locals,
      () => contexts.resolve(asRequest(request)).connectionId,
    );
    done();
  }) as never);
  if (!options.injectConnectionId) return;
  instance.addHook('onSend', ((
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
    payload: unknown,
    done: Done,
  ) => {
    done(
      null,
      withConnectionId(
        payload,
        reply.getHeader('content-type'),
        () => contexts.resolve(asRequest(request)).connectionId,
      ),
    );
  }) as never);
}
