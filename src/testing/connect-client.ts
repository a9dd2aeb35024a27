import type { INestApplication } from '@nestjs/common';
import { RealtimeIdentity } from '../identity/realtime-identity';
import { BODY_ATTRIBUTE, CONNECTION_ID_PARAM, KEY_COOKIE } from '../protocol';
import { encodeSince, type Positions, SINCE_PARAM } from '../protocol/resume';
import { REALTIME_OPTIONS } from '../realtime.constants';
import { appUrl } from './app-url';
import { openTestClient, type RealtimeTestClient } from './test-client';

export interface ConnectClientOptions {
  /** The id of a client view (from a rendered page); a fresh valid one when omitted. */
  connectionId?: string;
  /** The socket key (the `realtime_key` cookie value); required with `connectionId`. */
  socketKey?: string;
  /** Sent as the handshake's `Origin` header. */
  origin?: string;
  /** More handshake headers (e.g. `X-Forwarded-For` behind a test proxy). */
  headers?: Record<string, string>;
  /** Positions to resume from (README "Delivery guarantees"), e.g. an earlier client's `positions`. */
  since?: Positions;
}

/** The connection id and socket key a page response gave a browser. */
export function identityFromPage(
  html: string,
  setCookie: string | string[] | null | undefined,
  cookieName = KEY_COOKIE,
): Required<Pick<ConnectClientOptions, 'connectionId' | 'socketKey'>> {
  const connectionId = new RegExp(`${BODY_ATTRIBUTE}="([^"]+)"`).exec(
    html,
  )?.[1];
  const cookies = Array.isArray(setCookie)
    ? setCookie
    : setCookie
      ? [setCookie]
      : [];
  const socketKey = cookies
    .map((c) => new RegExp(`(?:^|[;,]\\s*)${cookieName}=([^;]+)`).exec(c)?.[1])
    .find(Boolean);
  if (!connectionId)
    throw new Error(`identityFromPage: the page has no ${BODY_ATTRIBUTE}`);
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
  const realtime = app.get<{ path: string; cookie: { name: string } }>(
    REALTIME_OPTIONS,
  );
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
  const url = new URL(
    realtime.path,
    (await appUrl(app)).replace(/^http/, 'ws'),
  );
  url.searchParams.set(CONNECTION_ID_PARAM, connectionId);
  if (options.since)
    url.searchParams.set(SINCE_PARAM, encodeSince(options.since));
  const cookie = `${realtime.cookie.name}=${socketKey}`;
  return openTestClient(
    url.toString(),
    {
      origin: options.origin,
      headers: {
        ...options.headers,
        cookie: options.headers?.cookie
          ? `${cookie}; ${options.headers.cookie}`
          : cookie,
      },
    },
    { connectionId, socketKey },
  ).catch((error: Error) => {
    throw new Error(`connectClient: ${error.message}`);
  });
}
