import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CONNECTION_ID_HEADER,
  CONNECTION_ID_PARAM,
  SOCKET_KEY_HEADER,
  SOCKET_KEY_PARAM,
} from '../protocol';
import { readCookie } from './cookies';
import type { RealtimeIdentity } from './realtime-identity';

/** An Express or Fastify request, or a raw IncomingMessage, as `RealtimeService.socket()` accepts. */
export type RealtimeRequest = IncomingMessage & {
  query?: unknown;
  body?: unknown;
  res?: ServerResponse;
};

/** The key and id a request presents (handshake or HTTP). */
interface PresentedIdentity {
  /** A socket key this server issued; undefined when none was presented (or only others). */
  key: string | undefined;
  connectionId: string | undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A query parameter of a request (Express/Fastify's parsed query, or the raw URL's). */
export function queryParam(
  req: RealtimeRequest,
  name: string,
): string | undefined {
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

/**
 * What a request presents, without creating anything (README "Security and limits"): the key from the
 * cookie or `X-Socket-Key` — and `socket_key` in the query on the upgrade request only,
 * since on a page a link could plant an attacker's key (subscription fixation); only
 * keys the server issued count. The id from `X-Socket-Connection-Id`, then the
 * `socket_connection_id` query or body parameter.
 */
export function presentedIdentity(
  req: RealtimeRequest,
  cookieName: string,
  identity: RealtimeIdentity,
  upgrade = false,
): PresentedIdentity {
  const candidates = [
    readCookie(req.headers.cookie, cookieName),
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
