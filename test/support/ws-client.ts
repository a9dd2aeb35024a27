import WebSocket from 'ws';
import { FrameQueue } from '../../src/testing/frame-queue';

export interface Frame {
  [key: string]: unknown;
}

/** A real `ws` client that queues every frame it receives, for awaiting with a timeout. */
export class TestClient {
  private readonly queue = new FrameQueue();
  private closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.queue.push(data.toString()));
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.queue.end(code);
        resolve(code);
      }),
    );
  }

  /** Raw text frames received and not taken yet. */
  get frames(): string[] {
    return this.queue.items;
  }

  get closeCode(): number | undefined {
    return this.queue.closeCode;
  }

  /** The next frame, raw text, or rejects after `timeout` ms. */
  nextRaw(timeout = 8000): Promise<string> {
    return this.queue.take(timeout);
  }

  async next(timeout?: number): Promise<Frame> {
    return JSON.parse(await this.nextRaw(timeout)) as Frame;
  }

  /** Sends a request frame and returns the first frame with the same id (pushes stay queued). */
  async request(
    frame: Record<string, unknown>,
    timeout = 8000,
  ): Promise<Frame> {
    this.ws.send(JSON.stringify(frame));
    const marker = `{"id":${JSON.stringify(frame.id)},`;
    return JSON.parse(
      await this.queue.take(timeout, (raw) => raw.startsWith(marker)),
    ) as Frame;
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  close(): Promise<number> {
    if (
      this.ws.readyState === WebSocket.OPEN ||
      this.ws.readyState === WebSocket.CONNECTING
    )
      this.ws.close();
    return this.whenClosed();
  }

  whenClosed(): Promise<number> {
    return this.closed;
  }
}

export interface ConnectOptions {
  connectionId?: string;
  key?: string;
  /** Send the key as the cookie (default) or as the X-Socket-Key header. */
  keyVia?: 'cookie' | 'header' | 'query';
  cookieName?: string;
  origin?: string;
  path?: string;
  headers?: Record<string, string>;
}

function socketUrl(baseUrl: string, options: ConnectOptions): string {
  const url = new URL(options.path ?? '/', baseUrl.replace(/^http/, 'ws'));
  if (options.connectionId !== undefined)
    url.searchParams.set('socket_connection_id', options.connectionId);
  if (options.key !== undefined && options.keyVia === 'query')
    url.searchParams.set('socket_key', options.key);
  return url.toString();
}

function socketHeaders(options: ConnectOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) {
    if ((options.keyVia ?? 'cookie') === 'cookie') {
      const keyCookie = `${options.cookieName ?? 'realtime_key'}=${options.key}`;
      headers.cookie = headers.cookie
        ? `${keyCookie}; ${headers.cookie}`
        : keyCookie;
    } else if (options.keyVia === 'header')
      headers['x-socket-key'] = options.key;
  }
  return headers;
}

/** Opens a socket and resolves once the client saw it open. */
export function connect(
  baseUrl: string,
  options: ConnectOptions = {},
): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(baseUrl, options), {
      headers: socketHeaders(options),
      origin: options.origin,
    });
    const client = new TestClient(ws);
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`unexpected response ${res.statusCode}`)),
    );
  });
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
