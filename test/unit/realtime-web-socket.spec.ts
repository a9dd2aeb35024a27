import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  RealtimeWebSocket,
  type SocketEvents,
} from '../../src/gateway/realtime-web-socket';

// The gateway's socket class: its own events reach the app's shared listeners from
// `emit`, without a listener table per socket; listeners added with `on` still get them.

let server: WebSocketServer | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A real ws server on loopback whose sockets are RealtimeWebSockets, and one client of it. */
async function pair(): Promise<{
  socket: RealtimeWebSocket;
  client: WebSocket;
}> {
  server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    WebSocket: RealtimeWebSocket,
    clientTracking: false,
  });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const [socket] = (await once(server, 'connection')) as [RealtimeWebSocket];
  await once(client, 'open');
  return { socket, client };
}

function recorder(seen: string[]): SocketEvents {
  return {
    message(data: unknown) {
      expect(this).toBeInstanceOf(RealtimeWebSocket);
      seen.push(`message ${String(data)}`);
    },
    ping: () => seen.push('ping'),
    pong: () => seen.push('pong'),
    error: () => seen.push('error'),
    close: (code: unknown) => seen.push(`close ${String(code)}`),
  } as unknown as SocketEvents;
}

describe('RealtimeWebSocket', () => {
  it('hands its events to the shared listeners, and to listeners added with on', async () => {
    const { socket, client } = await pair();
    const seen: string[] = [];
    socket.events = recorder(seen);
    const added: string[] = [];
    socket.on('message', (data) => added.push(String(data)));
    expect(socket.listenerCount('close')).toBe(0);
    client.send('a');
    client.ping();
    await new Promise<void>((resolve) => socket.on('ping', () => resolve()));
    expect(seen).toEqual(['message a', 'ping']);
    expect(added).toEqual(['a']);
    const closed = once(socket, 'close');
    client.close(4000);
    await closed;
    expect(seen).toEqual(['message a', 'ping', 'close 4000']);
  });

  it('a protocol error reaches the shared error listener and does not throw for want of an on listener', async () => {
    const { socket, client } = await pair();
    const seen: string[] = [];
    socket.events = recorder(seen);
    const closed = new Promise<void>((resolve) => {
      const events = socket.events as SocketEvents;
      socket.events = {
        ...events,
        close(this: WebSocket, ...args: never[]) {
          events.close.apply(this, args);
          resolve();
        },
      };
    });
    // A text frame that is not UTF-8: ws emits 'error' on the server socket and closes it.
    (
      client as unknown as { _socket: { write(b: Buffer): void } }
    )._socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]));
    await closed;
    expect(seen).toEqual(['error', expect.stringMatching(/^close \d+$/)]);
  });

  it('without shared listeners it is a plain ws socket', async () => {
    const { socket, client } = await pair();
    const got = once(socket, 'message');
    client.send('b');
    expect(String((await got)[0])).toBe('b');
  });
});
