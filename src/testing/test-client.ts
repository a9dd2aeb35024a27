import WebSocket from 'ws';

/** A frame the server sent, parsed. */
export type TestFrame = Record<string, unknown>;

/** A socket on a listening app that queues what it receives, for awaiting in tests. */
export class RealtimeTestClient {
  /** Frames received and not yet taken with `next()`. */
  readonly frames: TestFrame[] = [];
  /** The close code once the socket closed. */
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];
  private sequence = 0;
  private readonly closed: Promise<number>;

  constructor(
    readonly ws: WebSocket,
    readonly connectionId: string,
    readonly socketKey: string,
  ) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as TestFrame);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
  }

  /** The next frame (push, reply or error); rejects after `timeout` ms or when the socket closes. */
  async next(timeout = 2000): Promise<TestFrame> {
    const deadline = Date.now() + timeout;
    while (this.frames.length === 0) {
      if (this.closeCode !== undefined)
        throw new Error(
          `the socket closed (${this.closeCode}) before a frame arrived`,
        );
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift() as TestFrame;
  }

  /** Sends `{ id, action, ...fields }` and resolves with the next frame carrying that id. */
  async request(
    action: string,
    fields: Record<string, unknown> = {},
    timeout = 2000,
  ): Promise<TestFrame> {
    const id = `t${++this.sequence}`;
    this.ws.send(JSON.stringify({ ...fields, id, action }));
    const deadline = Date.now() + timeout;
    for (;;) {
      const index = this.frames.findIndex((frame) => frame.id === id);
      if (index !== -1) return this.frames.splice(index, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0 || this.closeCode !== undefined)
        throw new Error(`no reply to "${action}" within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
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

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
