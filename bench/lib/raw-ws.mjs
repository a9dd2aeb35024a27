// A minimal WebSocket client (RFC 6455) for the load generator: the HTTP upgrade by
// node:http, then frames parsed straight from the TCP stream. On a 2-core machine the
// load generator competes with the server, so the client side must be cheap, and it
// is the same code for every target. Answers pings; never fragments what it sends.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

const EMPTY = Buffer.alloc(0);

function maskedFrame(opcode, payload) {
  const length = payload.length;
  const header = length < 126 ? 2 : 4;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < length; i++)
    frame[header + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}

export class RawWebSocket {
  /** `onText(buffer, start, end)` gets each text message; `onClose(code)` once. */
  constructor(socket, onText, onClose) {
    this.socket = socket;
    this.onText = onText;
    this.onCloseHandler = onClose;
    this.pending = EMPTY;
    this.fragments = null;
    this.closed = false;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.finish(1006));
  }

  finish(code) {
    if (this.closed) return;
    this.closed = true;
    this.onCloseHandler(code);
  }

  onData(chunk) {
    let buf = this.pending.length
      ? Buffer.concat([this.pending, chunk])
      : chunk;
    let offset = 0;
    const end = buf.length;
    while (end - offset >= 2) {
      const b0 = buf[offset];
      let length = buf[offset + 1] & 0x7f;
      let start = offset + 2;
      if (length === 126) {
        if (end - offset < 4) break;
        length = buf.readUInt16BE(offset + 2);
        start = offset + 4;
      } else if (length === 127) {
        if (end - offset < 10) break;
        length = Number(buf.readBigUInt64BE(offset + 2));
        start = offset + 10;
      }
      if (end - start < length) break;
      this.onFrame(b0 & 0x80, b0 & 0x0f, buf, start, start + length);
      offset = start + length;
    }
    this.pending = offset === end ? EMPTY : buf.subarray(offset);
  }

  onFrame(fin, opcode, buf, start, stop) {
    if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) {
      if (fin && opcode !== 0x0) return this.onText(buf, start, stop);
      // Fragmented message: collect until FIN (servers here do not fragment; kept correct).
      (this.fragments ??= []).push(Buffer.from(buf.subarray(start, stop)));
      if (fin) {
        const whole = Buffer.concat(this.fragments);
        this.fragments = null;
        this.onText(whole, 0, whole.length);
      }
    } else if (opcode === 0x9) {
      this.socket.write(maskedFrame(0xa, buf.subarray(start, stop)));
    } else if (opcode === 0x8) {
      const code = stop - start >= 2 ? buf.readUInt16BE(start) : 1005;
      this.socket.end(
        maskedFrame(0x8, buf.subarray(start, Math.min(stop, start + 2))),
      );
      this.finish(code);
    }
  }

  send(text) {
    this.socket.write(maskedFrame(0x1, Buffer.from(text)));
  }

  /** Closing handshake (1000); resolves when the TCP connection is gone. */
  close() {
    if (this.socket.destroyed) return Promise.resolve();
    const gone = new Promise((resolve) => this.socket.once('close', resolve));
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000);
    this.socket.end(maskedFrame(0x8, code));
    return gone;
  }

  terminate() {
    this.socket.destroy();
  }
}

/**
 * Opens `ws://host:port/path` with extra `headers`; rejects with the HTTP status of a
 * refusal. `onOpen(ws)` runs before the first frame is parsed.
 */
export function openRawWebSocket(url, headers, { onText, onClose, onOpen }) {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({
      // No pooled agent: Node 20's global agent turns TCP keep-alive probes on.
      agent: false,
      host: hostname,
      port,
      path: pathname + search,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket, head) => {
      if (res.statusCode !== 101) {
        socket.destroy();
        return reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
      }
      const ws = new RawWebSocket(socket, onText, onClose);
      onOpen(ws);
      if (head.length) ws.onData(head);
      resolve(ws);
    });
    req.on('response', (res) => {
      res.resume();
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  });
}
