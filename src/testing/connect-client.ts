import type { INestApplication } from '@nestjs/common';
import WebSocket from 'ws';
import { RealtimeIdentity } from '../identity/realtime-identity';
import { REALTIME_OPTIONS } from '../realtime.constants';
import type { ResolvedRealtimeOptions } from '../realtime.options';
import { RealtimeTestClient } from './test-client';

export interface ConnectClientOptions {
  /** The id of a client view (from a rendered page); a fresh valid one when omitted. */
  connectionId?: string;
  /** The socket key (the `realtime_key` cookie value); required with `connectionId`. */
  socketKey?: string;
  /** Sent as the handshake's `Origin` header. */
  origin?: string;
}

/** The connection id and socket key a page response gave a browser. */
export function identityFromPage(
  html: string,
  setCookie: string | string[] | null | undefined,
  cookieName = 'realtime_key',
): Required<Pick<ConnectClientOptions, 'connectionId' | 'socketKey'>> {
  const connectionId = /data-socket-connection-id="([^"]+)"/.exec(html)?.[1];
  const cookies = Array.isArray(setCookie)
    ? setCookie
    : setCookie
      ? [setCookie]
      : [];
  const socketKey = cookies
    .map((c) => new RegExp(`(?:^|[;,]\\s*)${cookieName}=([^;]+)`).exec(c)?.[1])
    .find(Boolean);
  if (!connectionId)
    throw new Error(
      'identityFromPage: the page has no data-socket-connection-id',
    );
  if (!socketKey)
    throw new Error(
      `identityFromPage: the response set no ${cookieName} cookie (pass the key of an earlier response)`,
    );
  return { connectionId, socketKey };
}

/**
 * Opens a socket against a listening app (`await app.listen(0)`), the way a browser
 * would: key in the cookie, id in the query. Resolves once the socket is open.
 */
export async function connectClient(
  app: INestApplication,
  options: ConnectClientOptions = {},
): Promise<RealtimeTestClient> {
  const realtime = app.get<ResolvedRealtimeOptions>(REALTIME_OPTIONS);
  let { connectionId, socketKey } = options;
  if (connectionId === undefined || socketKey === undefined) {
    if (connectionId !== undefined)
      throw new Error(
        'connectClient: pass socketKey with connectionId (the key the id was issued for)',
      );
    const identity = app.get(RealtimeIdentity);
    socketKey ??= identity.newSocketKey();
    connectionId = identity.issueConnectionId(socketKey);
  }
  const base = (await app.getUrl())
    .replace('[::1]', '127.0.0.1')
    .replace(/^http/, 'ws');
  const url = new URL(realtime.path, base);
  url.searchParams.set('socket_connection_id', connectionId);
  const ws = new WebSocket(url, {
    headers: { cookie: `${realtime.cookie.name}=${socketKey}` },
    origin: options.origin,
  });
  const client = new RealtimeTestClient(ws, connectionId, socketKey);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(
        new Error(
          `connectClient: the handshake was refused with HTTP ${res.statusCode}`,
        ),
      ),
    );
  });
  return client;
}
