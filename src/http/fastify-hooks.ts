import type { RealtimeRequest } from '../identity/presented-identity';
import type { FastifyLike } from './platform';
import {
  hasBodyTag,
  injectConnectionId,
  isHtmlResponse,
} from './html-injection';
import { kSocketContexts } from './realtime-http.middleware';
import {
  CALL_HEADER,
  prepareCallSocket,
  type SocketCalls,
} from './socket-calls';
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
    if (raw.headers[CALL_HEADER] !== undefined) {
      // A call-route request: the route runs as the calling connection (README "Security and limits", first rule).
      const call = calls.find(raw.headers[CALL_HEADER]);
      delete raw.headers[CALL_HEADER];
      if (call) {
        contexts.adopt(raw, call.socket);
        prepareCallSocket(raw.socket, call.encrypted);
      }
    }
    done();
  }) as never);
  instance.addHook('preHandler', ((
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
    done: Done,
  ) => {
    // After every onRequest hook, so @fastify/view's own `reply.locals = {}` is already made.
    const locals = reply.locals;
    if (
      locals &&
      typeof locals === 'object' &&
      !Object.hasOwn(locals, 'socketConnectionId')
    ) {
      // Lazy, so JSON APIs that never render do not get a key cookie they did not ask for.
      Object.defineProperty(locals, 'socketConnectionId', {
        enumerable: true,
        configurable: true,
        get: () => contexts.resolve(asRequest(request)).connectionId,
      });
    }
    done();
  }) as never);
  if (!options.injectConnectionId) return;
  instance.addHook('onSend', ((
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
    payload: unknown,
    done: Done,
  ) => {
    if (
      typeof payload === 'string' &&
      isHtmlResponse(reply.getHeader('content-type')) &&
      hasBodyTag(payload)
    ) {
      payload = injectConnectionId(
        payload,
        contexts.resolve(asRequest(request)).connectionId,
      );
    }
    done(null, payload);
  }) as never);
}
