import { createConnection, createServer, type Socket } from 'node:net';

/** A loopback TCP forwarder whose connections can be cut to simulate a network failure. */
export interface TcpProxy {
  /** The proxy's own port. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Open client/upstream pairs. */
  readonly connections: number;
  /** Connections forwarded since start (a reconnect adds to it; refused ones during a cut do not). */
  readonly accepted: number;
  /** Destroys every open pair; new connections are destroyed at once until `restore()`. */
  cut(): void;
  /** Accepts and forwards new connections again. */
  restore(): void;
  /**
   * Drops the next pub/sub message (RESP `message`/`smessage`) from Redis whose bytes
   * contain `marker`, on whichever connection it comes: a message lost on the way
   * (a proxy started with `resp`).
   */
  dropMessage(marker: string): void;
  /** Pub/sub messages dropped so far. */
  readonly dropped: number;
  /** Like dropMessage, but keeps the message until `releaseHeld()`: a message late on the way. */
  holdMessage(marker: string): void;
  /** Sends the held messages on (each to its connection); resolves with how many there were. */
  releaseHeld(): number;
  /** Stops listening and destroys every pair. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Where the RESP value (RESP2 or RESP3) starting at `at` ends, or -1 when `data` does not hold all of it. */
function respEnd(data: Buffer, at: number): number {
  const line = data.indexOf('\r\n', at);
  if (line === -1) return -1;
  const type = String.fromCharCode(data[at]);
  const n = Number(data.toString('latin1', at + 1, line));
  if (type === '$' || type === '=' || type === '!') {
    if (n < 0) return line + 2;
    const end = line + 2 + n + 2;
    return end <= data.length ? end : -1;
  }
  if ('*>~%|'.includes(type)) {
    const items = type === '%' || type === '|' ? 2 * n : n;
    let next = line + 2;
    for (let i = 0; i < Math.max(0, items); i++) {
      next = respEnd(data, next);
      if (next === -1) return -1;
    }
    // An attribute precedes the value it describes.
    return type === '|' ? respEnd(data, next) : next;
  }
  return line + 2; // simple string, error, integer, null, double, boolean, big number
}

/** Redis → client bytes, passed on value by value, minus the pub/sub messages asked to be dropped. */
class MessageFilter {
  private pending = Buffer.alloc(0);

  constructor(
    private readonly markers: Array<{ marker: string; hold: boolean }>,
    private readonly onDrop: (value: Buffer, hold: boolean) => void,
  ) {}

  pass(chunk: Buffer): Buffer {
    const data = this.pending.length
      ? Buffer.concat([this.pending, chunk])
      : chunk;
    const out: Buffer[] = [];
    let at = 0;
    while (at < data.length) {
      const end = respEnd(data, at);
      if (end === -1) break;
      const value = data.subarray(at, end);
      const text = value.toString('latin1');
      const marker = this.markers.findIndex((m) => text.includes(m.marker));
      if (
        marker !== -1 &&
        /^[*>]3\r\n\$(7\r\nmessage|8\r\nsmessage)\r\n/.test(text)
      ) {
        const [{ hold }] = this.markers.splice(marker, 1);
        this.onDrop(Buffer.from(value), hold);
      } else out.push(value);
      at = end;
    }
    this.pending = Buffer.from(data.subarray(at));
    return Buffer.concat(out);
  }
}

/**
 * Forwards each connection on a free loopback port to 127.0.0.1:`targetPort`. With
 * `resp`, the upstream speaks Redis: its bytes go through value by value, so pub/sub
 * messages can be dropped or held (`dropMessage`, `holdMessage`).
 */
export function startProxy(
  targetPort: number,
  { resp = false }: { resp?: boolean } = {},
): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let isCut = false;
  let accepted = 0;
  const markers: Array<{ marker: string; hold: boolean }> = [];
  let dropped = 0;
  const held: Array<[Socket, Buffer]> = [];

  const server = createServer((client) => {
    client.on('error', () => undefined);
    if (isCut) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = createConnection({ host: HOST, port: targetPort });
    upstream.on('error', () => undefined);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    client.pipe(upstream);
    if (!resp) {
      upstream.pipe(client);
      return;
    }
    const filter = new MessageFilter(markers, (value, hold) => {
      if (hold) held.push([client, value]);
      else dropped++;
    });
    upstream.on('data', (chunk: Buffer) => {
      const passed = filter.pass(chunk);
      if (passed.length > 0) client.write(passed);
    });
  });

  const destroyAll = () => {
    for (const [client, upstream] of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        port,
        url: `redis://${HOST}:${port}`,
        get connections() {
          return pairs.size;
        },
        get accepted() {
          return accepted;
        },
        cut() {
          isCut = true;
          destroyAll();
        },
        restore() {
          isCut = false;
        },
        dropMessage(marker: string) {
          markers.push({ marker, hold: false });
        },
        holdMessage(marker: string) {
          markers.push({ marker, hold: true });
        },
        releaseHeld() {
          const out = held.splice(0);
          for (const [client, value] of out) client.write(value);
          return out.length;
        },
        get dropped() {
          return dropped;
        },
        close() {
          return new Promise<void>((done) => {
            server.close(() => done());
            destroyAll();
          });
        },
      });
    });
  });
}
