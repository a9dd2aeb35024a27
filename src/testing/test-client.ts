import WebSocket from 'ws';
import { OPEN } from '../protocol';
import type { Positions, ResumeFailure } from '../protocol/resume';
import { FrameQueue } from './frame-queue';

/** A frame the server sent, parsed. */
export type TestFrame = Record<string, unknown>;

/** What a resume frame says (README "Delivery guarantees"). */
export interface TestResume {
  recovered: boolean;
  replayed: number;
  epoch: Record<string, string>;
  failed: Record<string, ResumeFailure>;
}

const RESUME = '{"resume":';

/** How to open a test socket: extra handshake headers and the `Origin` to send. */
export interface TestSocketInit {
  headers?: Record<string, string>;
  origin?: string;
  /** Default timeout of `next()` and `request()`, ms. Default 2000. */
  timeout?: number;
  /**
   * `'keep'` (default): push frames as sent, `offset` included. `'check'`: `next()`,
   * `frames` and `request()` leave `offset` out, and the client instead checks that
   * each channel's offsets only grow (a repeat or a step back fails the next `next()`).
   */
  offsets?: 'keep' | 'check';
}

/** A socket on a listening app that queues what it receives, for awaiting in tests. */
export class RealtimeTestClient {
  private readonly queue = new FrameQueue();
  /** Resume frames, kept apart from the other frames (README "Delivery guarantees"). */
  private readonly resumeQueue = new FrameQueue();
  private sequence = 0;
  private readonly closed: Promise<number>;
  private readonly timeout: number;
  private readonly checkOffsets: boolean;
  private readonly epochs = new Map<string, string>();
  private readonly offsets = new Map<string, number>();
  private readonly violations: string[] = [];
  /** Every resume frame received, in order. */
  readonly resumes: TestResume[] = [];
  /** For each resume frame, how many other frames came before it on this socket. */
  readonly framesBefore: number[] = [];
  private otherFrames = 0;

  constructor(
    readonly ws: WebSocket,
    readonly connectionId: string | undefined,
    readonly socketKey: string | undefined,
    timeout = 2000,
    offsets: 'keep' | 'check' = 'keep',
  ) {
    this.timeout = timeout;
    this.checkOffsets = offsets === 'check';
    ws.on('message', (data) => this.received(data.toString()));
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.queue.end(code);
        this.resumeQueue.end(code);
        resolve(code);
      }),
    );
  }

  /** Resume frames go apart; push offsets are tracked (and checked, with `offsets: 'check'`). */
  private received(text: string): void {
    if (text.startsWith(RESUME)) {
      const resume = (JSON.parse(text) as { resume: TestResume }).resume;
      for (const [channel, epoch] of Object.entries(resume.epoch)) {
        if (this.epochs.get(channel) === epoch) continue;
        this.epochs.set(channel, epoch);
        this.offsets.set(channel, 0);
      }
      this.resumes.push(resume);
      this.framesBefore.push(this.otherFrames);
      this.resumeQueue.push(text);
      return;
    }
    this.otherFrames++;
    if (text.startsWith('{"channel":')) {
      const frame = JSON.parse(text) as { channel: string; offset?: number };
      if (frame.offset !== undefined) {
        const last = this.offsets.get(frame.channel);
        if (this.checkOffsets && last !== undefined && frame.offset <= last)
          this.violations.push(
            `offset ${frame.offset} on ${JSON.stringify(frame.channel)} after ${last}`,
          );
        this.offsets.set(frame.channel, frame.offset);
      }
    }
    this.queue.push(text);
  }

  private parse(text: string): TestFrame {
    const frame = JSON.parse(text) as TestFrame;
    if (this.checkOffsets && 'channel' in frame) delete frame.offset;
    return frame;
  }

  private checked(): void {
    if (this.violations.length > 0)
      throw new Error(`push offsets went back: ${this.violations.join('; ')}`);
  }

  /** The next resume frame (the first comes before any other frame when history is on). */
  async resume(timeout = this.timeout): Promise<TestResume> {
    return (
      JSON.parse(await this.resumeQueue.take(timeout)) as {
        resume: TestResume;
      }
    ).resume;
  }

  /**
   * The last position seen per channel — the epochs of the resume frames, the offsets
   * of the pushes — as a client presents it in `since` when it reconnects.
   */
  get positions(): Positions {
    const positions: Record<string, [string, number]> = {};
    for (const [channel, epoch] of this.epochs)
      positions[channel] = [epoch, this.offsets.get(channel) ?? 0];
    return positions;
  }

  /** Frames received and not yet taken with `next()`/`request()`, parsed. */
  get frames(): TestFrame[] {
    return this.queue.items.map((frame) => this.parse(frame));
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
    this.checked();
    const frame = this.parse(await this.queue.take(timeout));
    this.checked();
    return frame;
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
    return this.parse(
      await this.queue.take(timeout, (text) => text.startsWith(marker)),
    );
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
    init.offsets,
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
