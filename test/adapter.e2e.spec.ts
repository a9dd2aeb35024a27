import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureController } from './fixtures/fixture.controller';
import { startApp, type TestApp } from './support/app';
import { getPage } from './support/http-client';
import { connect } from './support/ws-client';

/** A gateway of the app's own, on its own path, speaking Nest's {event, data} protocol. */
@WebSocketGateway({ path: '/other' })
class EchoGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): { event: string; data: unknown } {
    return { event: 'echoed', data };
  }
}

describe('RealtimeWsAdapter and the app’s other gateways', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({}, [FixtureController], [EchoGateway]);
  });
  afterAll(() => t.close());

  it('another @WebSocketGateway of the app works as with WsAdapter, beside the realtime socket', async () => {
    const other = new WebSocket(`${t.url.replace(/^http/, 'ws')}/other`);
    await new Promise((resolve, reject) => {
      other.once('open', resolve);
      other.once('error', reject);
    });
    const reply = new Promise<unknown>((resolve) =>
      other.once('message', (data) => resolve(JSON.parse(String(data)))),
    );
    other.send(JSON.stringify({ event: 'echo', data: { n: 1 } }));
    expect(await reply).toEqual({ event: 'echoed', data: { n: 1 } });
    other.close();
    // The realtime socket on its own path at the same time.
    const page = await getPage(`${t.url}/room/beside`);
    const realtime = await connect(t.url, {
      connectionId: page.connectionId,
      key: page.key,
    });
    await t.realtime.push('here', 'room:beside');
    expect(await realtime.next()).toEqual({
      channel: 'room:beside',
      payload: 'here',
    });
    await realtime.close();
  });
});
