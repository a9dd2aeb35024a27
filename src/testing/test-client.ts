import WebSocket from 'ws';
import { OPEN } from '../protocol';
import { FrameQueue } from './frame-queue';

/** A frame the server sent, parsed. */
export type TestFrame = Record<string, unknown>;

/** How to open a test socket: extra handshake headers and the `Origin` to send. */
export interface TestSocketInit {
  headers?: Record<string, string>;
  origin?: string;
  /** Default timeout of `next()` and `request()`, ms. Default 2000. */
  timeout?: number;
}

/** A socket on a listening app that queues what it receives, for awaiting in tests. */
export class RealtimeTestClient {
  private readonly queue = new FrameQueue();
  private sequence = 0;
  private readonly closed: Promise<number>;
  private readonly timeout: number;

  constructor(
    readonly ws: WebSocket,
    readonly connectionId: string | undefined,
    readonly socketKey: string | undefined,
    timeout = 2000,
  ) {
    this.timeout = timeout;
    ws.on('message', (data) => this.queue.push(data.toString()));
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.queue.end(code);
        resolve(code);
      }),
    );
  }

  /** Frames received and not yet taken with `next()`/`request()`, parsed. */
  get frames(): TestFrame[] {
    return this.queue.items.map((frame) => JSON.parse(frame) as TestFrame);
  }

  /** The same frames as raw text: the queue itself (taking from it takes them). */
  get rawFrames(): string[] {
    return this.queue.items;
  }

  /** The close code once the socket closed. */
  get closeCode(): number | undefined {
    return this.queue.closeCode;
  }

  /** The next frame (push, reply or error); rejects after `timeout` ms or when the socket closes. */
  async next(timeout = this.timeout): Promise<TestFrame> {
    return JSON.parse(await this.queue.take(timeout)) as TestFrame;
  }

  /** The next frame as raw text. */
  nextRaw(timeout = this.timeout): Promise<string> {
    return this.queue.take(timeout);
  }

  /**
   * Sends a request and resolves with the first frame with its id (pushes stay queued):
   * `request(action, fields?)` makes the id; `request({ id, action, ... })` sends the frame as given.
   */
  async request(
    action: string | { id: string | number; [field: string]: unknown },
    fields: Record<string, unknown> = {},
    timeout = this.timeout,
  ): Promise<TestFrame> {
    const frame =
      typeof action === 'string'
        ? { ...fields, id: `t${++this.sequence}`, action }
        : action;
    this.ws.send(JSON.stringify(frame));
    const marker = `{"id":${JSON.stringify(frame.id)},`;
    return JSON.parse(
      await this.queue.take(timeout, (text) => text.startsWith(marker)),
    ) as TestFrame;
  }

  /** Sends anything, as a text (or binary) frame. */
  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Closes the socket and resolves with the close code. */
  close(): Promise<number> {
    if (
      this.ws.readyState === OPEN ||
      this.ws.readyState === WebSocket.CONNECTING
    )
      this.ws.close();
    return this.closed;
  }

  /** Resolves with the close code when the server (or anything) closes the socket. */
  whenClosed(): Promise<number> {
    return this.closed;
  }
}

/**
 * Opens a test socket at `url` and resolves once it is open; rejects with the HTTP
 * status when the upgrade is refused.
 */
export function openTestClient(
  url: string,
  init: TestSocketInit = {},
  identity: { connectionId?: string; socketKey?: string } = {},
): Promise<RealtimeTestClient> {
  const ws = new WebSocket(url, { headers: init.headers, origin: init.origin });
  const client = new RealtimeTestClient(
    ws,
    identity.connectionId,
    identity.socketKey,
    init.timeout,
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(
        new Error(`the handshake was refused with HTTP ${res.statusCode}`),
      );
    });
  });
}
