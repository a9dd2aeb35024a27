import WebSocket from 'ws';
import {
  CONNECTION_ID_PARAM,
  KEY_COOKIE,
  SOCKET_KEY_HEADER,
  SOCKET_KEY_PARAM,
} from '../../src/protocol';
import {
  encodeSince,
  type Positions,
  SINCE_PARAM,
} from '../../src/protocol/resume';
import {
  openTestClient,
  type RealtimeTestClient,
  type TestFrame,
} from '../../src/testing';

// The suite's sockets are the testing entry's own client (src/testing), opened by URL
// so they also reach instances in other processes; only the handshake options are ours.

export type TestClient = RealtimeTestClient;
export type Frame = TestFrame;

/** The suite runs on a busy 2-core machine: a frame may take a while. */
const TIMEOUT = 8000;

export interface ConnectOptions {
  connectionId?: string;
  key?: string;
  /** Send the key as the cookie (default), as the X-Socket-Key header, or as socket_key. */
  keyVia?: 'cookie' | 'header' | 'query';
  cookieName?: string;
  origin?: string;
  path?: string;
  headers?: Record<string, string>;
  /** Positions presented in `since` (README "Delivery guarantees"). */
  since?: Positions;
  /** Keep `offset` in push frames (default: left out and checked to only grow, see TestSocketInit). */
  offsets?: 'keep' | 'check';
}

function socketUrl(baseUrl: string, options: ConnectOptions): string {
  const url = new URL(options.path ?? '/', baseUrl.replace(/^http/, 'ws'));
  if (options.connectionId !== undefined)
    url.searchParams.set(CONNECTION_ID_PARAM, options.connectionId);
  if (options.key !== undefined && options.keyVia === 'query')
    url.searchParams.set(SOCKET_KEY_PARAM, options.key);
  if (options.since !== undefined)
    url.searchParams.set(SINCE_PARAM, encodeSince(options.since));
  return url.toString();
}

function socketHeaders(options: ConnectOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) {
    if ((options.keyVia ?? 'cookie') === 'cookie') {
      const keyCookie = `${options.cookieName ?? KEY_COOKIE}=${options.key}`;
      headers.cookie = headers.cookie
        ? `${keyCookie}; ${headers.cookie}`
        : keyCookie;
    } else if (options.keyVia === 'header')
      headers[SOCKET_KEY_HEADER] = options.key;
  }
  return headers;
}

/** Opens a socket and resolves once the client saw it open (rejects with the refusing HTTP status). */
export async function connect(
  baseUrl: string,
  options: ConnectOptions = {},
): Promise<TestClient> {
  return openTestClient(
    socketUrl(baseUrl, options),
    {
      headers: socketHeaders(options),
      origin: options.origin,
      timeout: TIMEOUT,
      offsets: options.offsets ?? 'check',
    },
    { connectionId: options.connectionId, socketKey: options.key },
  );
}

/** Attempts a handshake and resolves with the HTTP status the server refused it with (or 101). */
export function handshakeStatus(
  baseUrl: string,
  options: ConnectOptions = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(baseUrl, options), {
      headers: socketHeaders(options),
      origin: options.origin,
    });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', (error) => reject(error));
  });
}
