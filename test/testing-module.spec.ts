// Written the way the README's "Testing your app" section tells users to: only public
// entry points, the package's testing module, and the app's own controllers.
import { Controller, Get, Header, Module, Param } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MessageHandler,
  RealtimeService,
  Socket,
  type RealtimeSocket,
} from 'nestjs-realtime';
import {
  connectClient,
  identityFromPage,
  RealtimeTestingModule,
} from 'nestjs-realtime/testing';

@Controller()
class RoomController {
  @Get('rooms/:room')
  @Header('Content-Type', 'text/html')
  async room(
    @Param('room') room: string,
    @Socket() socket: RealtimeSocket,
  ): Promise<string> {
    await socket.subscribe(`chat:${room}`);
    return `<html><body><h1>${room}</h1></body></html>`;
  }
}

@MessageHandler('shout')
class ShoutHandler {
  handle(message: { text: string }): string {
    return message.text.toUpperCase();
  }
}

@Module({ controllers: [RoomController], providers: [ShoutHandler] })
class ChatModule {}

describe('testing an app with nestjs-realtime/testing', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RealtimeTestingModule.forRoot(), ChatModule],
    }).compile();
    // The matrix runs this on Fastify too (PLATFORM=fastify), as a Fastify app would write it.
    app =
      process.env.PLATFORM === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter())
        : moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
  });

  it('a page render subscribes the browser; a push reaches its socket', async () => {
    const res = await fetch(`${await app.getUrl()}/rooms/lobby`);
    const client = await connectClient(
      app,
      identityFromPage(await res.text(), res.headers.getSetCookie()),
    );
    await app.get(RealtimeService).push({ text: 'hi' }, 'chat:lobby');
    expect(await client.next()).toEqual({
      channel: 'chat:lobby',
      payload: { text: 'hi' },
      offset: 1,
    });
    await client.close();
  });

  it('message handlers answer a client made in one line', async () => {
    const client = await connectClient(app);
    expect(await client.request('shout', { text: 'hello' })).toEqual({
      id: expect.any(String),
      payload: 'HELLO',
    });
    expect(await client.request('ping')).toMatchObject({ payload: 'pong' });
    await client.close();
  });

  it('a client with an id issued for another key is inert', async () => {
    const res = await fetch(`${await app.getUrl()}/rooms/lobby`);
    const { connectionId } = identityFromPage(
      await res.text(),
      res.headers.getSetCookie(),
    );
    const stranger = await connectClient(app, {
      connectionId,
      socketKey: 'k'.repeat(43),
    });
    expect(await stranger.request('ping')).toMatchObject({
      error: { code: 'unauthorized' },
    });
    await stranger.close();
  });
});
