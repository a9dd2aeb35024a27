import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The sample imports the package by name, so this runs it against the build in dist/.
import { RealtimeWsAdapter } from 'nestjs-realtime';
import { AppModule } from '../sample/app.module';
import { getPage } from './support/http-client';
import { connect } from './support/ws-client';

describe('the sample chat (what `npm start` runs)', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new RealtimeWsAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app.close();
  });

  it('a message posted in a room reaches the views of that room only', async () => {
    const lobby = await getPage(`${url}/rooms/lobby`);
    const other = await getPage(`${url}/rooms/other`);
    expect(lobby.html).toContain('Room: lobby');
    const a = await connect(url, {
      connectionId: lobby.connectionId,
      key: lobby.key,
      origin: url,
    });
    const b = await connect(url, {
      connectionId: other.connectionId,
      key: other.key,
      origin: url,
    });
    const post = (room: string, text: unknown) =>
      fetch(`${url}/rooms/${room}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    expect((await post('lobby', 'hello lobby')).status).toBe(202);
    expect((await post('other', 'hello other')).status).toBe(202);
    expect(await a.next()).toMatchObject({
      channel: 'chat:lobby',
      payload: { text: 'hello lobby' },
    });
    expect(await b.next()).toMatchObject({
      channel: 'chat:other',
      payload: { text: 'hello other' },
    });
    expect((await post('lobby', '   ')).status).toBe(400);
    expect((await post('Bad Room', 'x')).status).toBe(400);
    const stats = (await (await fetch(`${url}/stats`)).json()) as {
      connections: number;
    };
    expect(stats.connections).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });
});
