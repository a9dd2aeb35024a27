import WebSocket from 'ws';
import { FrameQueue } from './frame-queue';

/** A frame the server sent, parsed. */
export type TestFrame = Record<string, unknown>;

/** A socket on a listening app that queues what it receives, for awaiting in tests. */
export class RealtimeTestClient {
  private readonly queue = new FrameQueue();
  private sequence = 0;
  private readonly closed: Promise<number>;

  constructor(
    readonly ws: WebSocket,
    readonly connectionId: string,
    readonly socketKey: string,
  ) {
    ws.on('message', (data) => this.queue.push(data.toString()));
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.queue.end(code);
        resolve(code);
      }),
    );
  }

  /** Frames received and not yet taken with `next()`/`request()`. */
  get frames(): TestFrame[] {
    return this.queue.items.map((frame) => JSON.parse(frame) as TestFrame);
  }

  /** The close code once the socket closed. */
  get closeCode(): number | undefined {
    return this.queue.closeCode;
  }

  /** The next frame (push, reply or error); rejects after `timeout` ms or when the socket closes. */
  async next(timeout = 2000): Promise<TestFrame> {
    return JSON.parse(await this.queue.take(timeout)) as TestFrame;
  }

  /** Sends `{ id, action, ...fields }` and resolves with the frame answering it. */
  async request(
    action: string,
    fields: Record<string, unknown> = {},
    timeout = 2000,
  ): Promise<TestFrame> {
    const id = `t${++this.sequence}`;
    this.ws.send(JSON.stringify({ ...fields, id, action }));
    const marker = `{"id":${JSON.stringify(id)},`;
    return JSON.parse(
      await this.queue.take(timeout, (frame) => frame.startsWith(marker)),
    ) as TestFrame;
  }

  /** Closes the socket and resolves with the close code. */
  close(): Promise<number> {
    if (
      this.ws.readyState === WebSocket.OPEN ||
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
