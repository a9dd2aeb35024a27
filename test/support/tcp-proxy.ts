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
  /** Stops listening and destroys every pair. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Forwards each connection on a free loopback port to 127.0.0.1:`targetPort`. */
export function startProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let isCut = false;
  let accepted = 0;

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
    upstream.pipe(client);
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
