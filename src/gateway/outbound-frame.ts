import type { WebSocket } from 'ws';
import * as wsModule from 'ws';

/** Options reused for every write: frames are JSON text, never binary. */
const TEXT = { binary: false } as const;

/** What a write takes: text, its bytes, or a frame prepared for many sockets. */
export type Frame = string | Buffer | OutboundFrame;

/** The parts of `ws`'s sender the prepared write uses (feature-detected: a `ws` without them gets `send`). */
interface SenderParts {
  _state?: number;
  _extensions?: Record<string, unknown>;
  sendFrame?(list: Buffer[], cb?: () => void): void;
}

// `ws`'s exported Sender class (the CommonJS entry and the ESM wrapper both export it).
const Sender = (
  wsModule as unknown as {
    Sender?: {
      frame?(data: Buffer, options: object): Buffer[];
      prototype?: SenderParts;
    };
  }
).Sender;
const CAN_PREPARE =
  typeof Sender?.frame === 'function' &&
  typeof Sender.prototype?.sendFrame === 'function';
/** The options of a final, unmasked, uncompressed text frame (a server's frames are never masked). */
const TEXT_FRAME = {
  fin: true,
  opcode: 1,
  mask: false,
  readOnly: false,
  rsv1: false,
};

/**
 * A push frame written to many sockets (README "Performance"): its WebSocket frame —
 * header and payload in one buffer — is built once, on the first write, and the same
 * bytes go to every socket in one write each, instead of `ws.send` framing it again per
 * socket.
 */
export class OutboundFrame {
  private wire: Buffer | undefined;

  constructor(readonly payload: Buffer) {}

  /** The whole frame on the wire, or undefined where `ws` cannot take it (then `send` frames it). */
  bytes(): Buffer | undefined {
    if (!CAN_PREPARE) return undefined;
    if (this.wire === undefined) {
      const list = (Sender as { frame(d: Buffer, o: object): Buffer[] }).frame(
        this.payload,
        TEXT_FRAME,
      );
      this.wire = list.length === 1 ? list[0] : Buffer.concat(list);
    }
    return this.wire;
  }
}

/**
 * Writes `frame` to an open socket: a prepared frame's bytes through the socket's own
 * sender (so `bufferedAmount` and the order of writes stay `ws`'s) when the sender is idle
 * and the socket uncompressed; anything else with `ws.send`.
 */
export function writeFrame(ws: WebSocket, frame: Frame): void {
  if (frame instanceof OutboundFrame) {
    const sender = (ws as unknown as { _sender?: SenderParts })._sender;
    const bytes = frame.bytes();
    if (
      bytes !== undefined &&
      sender !== undefined &&
      sender._state === 0 &&
      sender._extensions?.['permessage-deflate'] === undefined
    ) {
      (sender as Required<SenderParts>).sendFrame([bytes]);
      return;
    }
    ws.send(frame.payload, TEXT);
    return;
  }
  ws.send(frame, TEXT);
}
