import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serializeKeyCookie, type KeyCookieOptions } from '../identity/cookies';
import { requestScheme } from '../identity/origin';
import {
  presentedIdentity,
  type RealtimeRequest,
} from '../identity/presented-identity';
import { RealtimeIdentity } from '../identity/realtime-identity';
import { REALTIME_OPTIONS } from '../realtime.constants';
import { RealtimeChannels } from '../realtime-channels';
import { RealtimeSocket } from '../realtime-socket';

/** Request property caching the request's RealtimeSocket. */
const kSocket = Symbol.for('nestjs-realtime.socket');

/** Raw-request property holding the Fastify reply (set by the Fastify hooks: the key cookie goes through it). */
export const kReply = Symbol.for('nestjs-realtime.reply');

/** A Fastify reply, as far as the module uses it. */
export interface FastifyReplyLike {
  raw: ServerResponse;
  locals?: unknown;
  header(name: string, value: string): unknown;
  getHeader(name: string): unknown;
}

type CachingRequest = RealtimeRequest & {
  [kSocket]?: RealtimeSocket;
  [kReply]?: FastifyReplyLike;
};

/** The Node request under a Fastify request (its `raw`), or the request itself (Express, raw). */
function nodeRequest(req: RealtimeRequest): CachingRequest {
  return ((req as { raw?: RealtimeRequest }).raw ?? req) as CachingRequest;
}

/** A cross-site request that changes state (a form posted from another site). */
function isCrossSiteUnsafe(req: IncomingMessage): boolean {
  return (
    req.headers['sec-fetch-site'] === 'cross-site' &&
    req.method !== 'GET' &&
    req.method !== 'HEAD'
  );
}

/**
 * The socket context of an HTTP request (README "Security and limits"), made once per request: the key the
 * request presents, or a fresh one set as the HttpOnly cookie; the id it presents when
 * it was issued for that key, else a fresh one (subscribing under an id issued for
 * another key could never reach a connection).
 */
@Injectable()
export class SocketContexts {
  constructor(
    @Inject(REALTIME_OPTIONS)
    private readonly options: { cookie: KeyCookieOptions; trustProxy: boolean },
    private readonly identity: RealtimeIdentity,
    private readonly channels: RealtimeChannels,
  ) {}

  resolve(req: RealtimeRequest): RealtimeSocket {
    const cache = nodeRequest(req);
    const cached = cache[kSocket];
    if (cached) return cached;
    const presented = presentedIdentity(
      req,
      this.options.cookie.name,
      this.identity,
    );
    let key = presented.key;
    if (!key) {
      key = this.identity.newSocketKey();
      // A cross-site form must not replace the victim's key (its tab would go inert).
      if (!isCrossSiteUnsafe(cache)) this.setKeyCookie(cache, key);
    }
    // The key was checked (presented) or made here: only the id is left to check.
    const id = this.identity.isIssuedFor(presented.connectionId, key)
      ? (presented.connectionId as string)
      : this.identity.issueConnectionId(key);
    return (cache[kSocket] = this.create(id, this.identity.digest(key, id)));
  }

  /** The context of a live connection (its handlers, and routes it calls over `call-route`). */
  create(
    connectionId: string,
    digest: string,
    viaSocket = false,
  ): RealtimeSocket {
    return new RealtimeSocket(connectionId, digest, viaSocket, this.channels);
  }

  /** Makes `socket` the context of `req` (a `call-route` request runs as its connection). */
  adopt(req: RealtimeRequest, socket: RealtimeSocket): void {
    nodeRequest(req)[kSocket] = socket;
  }

  private setKeyCookie(req: CachingRequest, key: string): void {
    const reply = req[kReply];
    const res = reply?.raw ?? req.res;
    if (!res || res.headersSent) return;
    const { cookie } = this.options;
    const secure =
      cookie.secure === 'auto'
        ? requestScheme(req, this.options.trustProxy) === 'https'
        : cookie.secure;
    const value = serializeKeyCookie(key, cookie, secure);
    if (reply) {
      // Fastify appends Set-Cookie values, and @fastify/cookie adds its own to them.
      reply.header('set-cookie', value);
      return;
    }
    const previous = res.getHeader('Set-Cookie');
    if (previous === undefined) res.setHeader('Set-Cookie', value);
    else
      res.setHeader('Set-Cookie', [
        ...(Array.isArray(previous) ? previous : [String(previous)]),
        value,
      ]);
  }
}
