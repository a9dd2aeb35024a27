// Baseline: a plain `ws` server that broadcasts each message to all its clients in a
// loop — the practical ceiling for Node. The frame is serialized once per message
// and has the same bytes as nestjs-realtime's push frame.
import { WebSocket, WebSocketServer } from 'ws';
import { runServer } from './harness.mjs';

const TEXT = { binary: false };

runServer(
  () =>
    new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      wss.once('error', reject);
      wss.once('listening', () =>
        resolve({
          port: wss.address().port,
          connections: () => wss.clients.size,
          publish(message) {
            const data = Buffer.from(
              '{"channel":"bench","payload":' + JSON.stringify(message) + '}',
            );
            for (const client of wss.clients)
              if (client.readyState === WebSocket.OPEN) client.send(data, TEXT);
          },
        }),
      );
    }),
);
