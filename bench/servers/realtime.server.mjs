// nestjs-realtime as a user runs it: a Nest app (Express) with RealtimeModule; clients
// are subscribed by a page-render route, GET /sub/:channel, that returns HTML (with
// `?user=<name>` it identifies the view first, as an app does after its own login).
// Loads the built package (dist/) by name. Decorators are applied by hand (plain JS).
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Controller, Get, Inject, Module, Param, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { runServer } from './harness.mjs';

const realtime = createRequire(import.meta.url)('nestjs-realtime');

class PageController {
  constructor(service) {
    this.realtime = service;
  }

  async page(channel, user, socket) {
    if (user) await socket.identify(user);
    await socket.subscribe(channel);
    return `<!doctype html><html><head><title>${channel}</title></head><body><p>bench</p></body></html>`;
  }
}
Controller()(PageController);
Inject(realtime.RealtimeService)(PageController, undefined, 0);
Param('channel')(PageController.prototype, 'page', 0);
Query('user')(PageController.prototype, 'page', 1);
realtime.Socket()(PageController.prototype, 'page', 2);
Reflect.decorate(
  [Get('sub/:channel')],
  PageController.prototype,
  'page',
  Object.getOwnPropertyDescriptor(PageController.prototype, 'page'),
);

function moduleOptions(config) {
  return {
    secret: 'bench-secret-0123456789abcdef0123456789abcdef',
    registry: config.redis ? 'redis' : 'memory',
    ...(config.redis ? { redis: config.redis, keyPrefix: 'bench-rt:' } : {}),
    // Relaxed limits: the bench opens thousands of sockets from one address and
    // lets a backlog build up in overload steps rather than closing slow consumers.
    rateLimit: { messages: 1_000_000, interval: 1_000, closeAfter: 1_000 },
    maxConnectionsPerClient: 100_000,
    maxConnectionsPerAddress: 100_000,
    maxConnections: 100_000,
    maxBufferedBytes: 64 * 1024 * 1024,
    // `npm run bench -- --history=off`: the first wave's frames, for comparing runs.
    ...(config.history === false ? { history: false } : {}),
    // The presence scenario: channels whose subscribers get join/leave frames, and a
    // short pendingTtl (renew interval pendingTtl / 3) for its Redis counts.
    ...(config.presence ? { presence: config.presence } : {}),
    ...(config.pendingTtl ? { pendingTtl: config.pendingTtl } : {}),
  };
}

runServer(async (config) => {
  class BenchModule {}
  Module({
    imports: [realtime.RealtimeModule.forRoot(moduleOptions(config))],
    controllers: [PageController],
  })(BenchModule);
  const app = await NestFactory.create(BenchModule, {
    logger: ['error', 'warn'],
  });
  app.useWebSocketAdapter(new realtime.RealtimeWsAdapter(app));
  // `backlog` (the avalanche's second row): the HTTP server's listen backlog, which an
  // app sets on its own listen (Express: app.listen(port, host, backlog)); Node's is 511.
  if (config.backlog) await app.listen(0, '127.0.0.1', config.backlog);
  else await app.listen(0, '127.0.0.1');
  const service = app.get(realtime.RealtimeService);
  return {
    port: app.getHttpServer().address().port,
    connections: () => service.stats().connections,
    publish: (message) => service.push(message, 'bench'),
    commands: {
      presenceStats: ({ channels }) =>
        Promise.all(channels.map((channel) => service.presenceStats(channel))),
    },
  };
});
