// Socket.IO rooms, websocket transport only; with `redis` in its config, the
// @socket.io/redis-adapter over two ioredis connections (several processes share a room);
// with `recovery`, connection state recovery with its default options (churn scenario;
// the in-memory adapter: the Redis adapter does not support it).
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { runServer } from './harness.mjs';

runServer(async (config) => {
  const httpServer = createServer();
  const io = new Server(httpServer, {
    transports: ['websocket'],
    serveClient: false,
    ...(config.recovery ? { connectionStateRecovery: {} } : {}),
  });
  if (config.redis) {
    const pub = new Redis(config.redis);
    const sub = pub.duplicate();
    await Promise.all([pub.ping(), sub.ping()]);
    io.adapter(createAdapter(pub, sub, { key: 'bench-sio' }));
  }
  io.on('connection', (socket) => socket.join('bench'));
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: httpServer.address().port,
    connections: () => io.engine.clientsCount,
    publish(message) {
      io.to('bench').emit('m', message);
    },
  };
});
