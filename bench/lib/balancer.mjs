// A tiny TCP round-robin balancer on loopback, in front of the instances of the churn
// scenario's Redis set-up: each new connection (page render or WebSocket) goes to the
// next live backend; a backend that refuses a connection (e.g. SIGKILLed) is marked
// dead and the next one is tried. Bytes are piped untouched, and a close on either
// side destroys the other, so an abrupt drop stays abrupt on both hops.
import { connect, createServer } from 'node:net';

export async function startBalancer(backends) {
  const live = backends.map(() => true);
  const sockets = new Set();
  let next = 0;
  let routed = backends.map(() => 0);

  const pick = () => {
    for (let i = 0; i < backends.length; i++) {
      const k = (next + i) % backends.length;
      if (live[k]) {
        next = k + 1;
        return k;
      }
    }
    return -1;
  };

  const route = (client, tries) => {
    const k = pick();
    if (k < 0 || tries >= backends.length) return client.destroy();
    const [host, port] = backends[k].split(':');
    const upstream = connect({ host, port: Number(port) });
    sockets.add(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      routed[k]++;
      upstream.setNoDelay(true);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) {
        live[k] = false;
        sockets.delete(upstream);
        if (!client.destroyed) route(client, tries + 1);
      }
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (connected) client.destroy();
    });
    client.on('close', () => upstream.destroy());
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.setNoDelay(true);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    route(client, 0);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    base: `127.0.0.1:${server.address().port}`,
    /** New connections no longer go to backend `k` (it is about to be killed). */
    markDead(k) {
      live[k] = false;
    },
    /** Connections routed to each backend so far. */
    routed: () => [...routed],
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      routed = [];
    },
  };
}
