import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readCookie, serializeKeyCookie } from '../identity/cookies';
import { requestScheme } from '../identity/origin';
import { RealtimeIdentity } from '../identity/realtime-identity';
import {
  CONNECTION_ID_HEADER,
  CONNECTION_ID_PARAM,
  kRealtimeSocket,
  REALTIME_OPTIONS,
  SOCKET_KEY_HEADER,
  SOCKET_KEY_PARAM,
} from '../realtime.constants';
import type { ResolvedRealtimeOptions } from '../realtime.options';
import { RealtimeSocket, type SocketBackend } from './realtime-socket';

/** An Express request or a raw IncomingMessage, as `RealtimeService.socket()` accepts. */
export type RealtimeRequest = IncomingMessage & {
  query?: unknown;
  body?: unknown;
  res?: ServerResponse;
  [kRealtimeSocket]?: RealtimeSocket;
};

/** The key and id a request presents (handshake or HTTP). */
export interface PresentedIdentity {
  key: string | undefined;
  connectionId: string | undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function queryParam(req: RealtimeRequest, name: string): string | undefined {
  const query = req.query as Record<string, unknown> | undefined;
  if (query && typeof query === 'object') {
    const value = query[name];
    return typeof value === 'string' ? value : undefined;
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q === -1
    ? undefined
    : (new URLSearchParams(url.slice(q + 1)).get(name) ?? undefined);
}

function bodyParam(req: RealtimeRequest, name: string): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || !Object.hasOwn(body, name))
    return undefined;
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
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
 * Resolves the socket context of a request (SPEC §5): the key from the cookie (set when
 * missing) or `X-Socket-Key` (and `socket_key` on the upgrade request only); the id
 * from `X-Socket-Connection-Id`, then `socket_connection_id` (query, then body), else a
 * fresh id. Only keys the server issued count: anything else is no key. A presented id
 * that was not issued for this key is ignored and a fresh one issued: subscribing under
 * it could never reach a connection.
 */
@Injectable()
export class SocketResolver {
  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    private readonly identity: RealtimeIdentity,
  ) {}

  /**
   * Reads what a request presents, without creating anything. `socket_key` in the query
   * counts only on the upgrade request: on a page a link could plant an attacker's key
   * (subscription fixation).
   */
  presented(req: RealtimeRequest, upgrade = false): PresentedIdentity {
    const identity = this.identity;
    const candidates = [
      readCookie(req.headers.cookie, this.options.cookie.name),
      first(req.headers[SOCKET_KEY_HEADER]),
      upgrade ? queryParam(req, SOCKET_KEY_PARAM) : undefined,
    ];
    const key = candidates.find((value) => identity.isSocketKey(value));
    const connectionId =
      first(req.headers[CONNECTION_ID_HEADER]) ??
      queryParam(req, CONNECTION_ID_PARAM) ??
      bodyParam(req, CONNECTION_ID_PARAM);
    return { key, connectionId };
  }

  resolve(req: RealtimeRequest, backend: SocketBackend): RealtimeSocket {
    const cached = req[kRealtimeSocket];
    if (cached) return cached;
    const presented = this.presented(req);
    let key = presented.key;
    if (!key) {
      key = this.identity.newSocketKey();
      // A cross-site form must not replace the victim's key (its tab would go inert).
      if (!isCrossSiteUnsafe(req)) this.setKeyCookie(req, key);
    }
    const id = this.identity.isIssued(presented.connectionId, key)
      ? (presented.connectionId as string)
      : this.identity.issueConnectionId(key);
    const socket = new RealtimeSocket(
      id,
      this.identity.digest(key, id),
      false,
      backend,
    );
    req[kRealtimeSocket] = socket;
    return socket;
  }

  private setKeyCookie(req: RealtimeRequest, key: string): void {
    const res = req.res;
    if (!res || res.headersSent) return;
    const { cookie } = this.options;
    const secure =
      cookie.secure === 'auto'
        ? requestScheme(req, this.options.trustProxy) === 'https'
        : cookie.secure;
    const value = serializeKeyCookie(key, cookie, secure);
    const previous = res.getHeader('Set-Cookie');
    if (previous === undefined) res.setHeader('Set-Cookie', value);
    else
      res.setHeader('Set-Cookie', [
        ...(Array.isArray(previous) ? previous : [String(previous)]),
        value,
      ]);
  }
}
