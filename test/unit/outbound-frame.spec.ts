import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { OutboundFrame, writeFrame } from '../../src/gateway/outbound-frame';

// README "Performance": a push frame is framed once and the same bytes are written to
// every socket through ws's own sender; a socket that ws would compress gets ws.send.

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A ws server on loopback, `n` clients connected to it, and the server side of each. */
async function pair(n: number, perMessageDeflate = false) {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate,
  });
  servers.push(server);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const sides: WebSocket[] = [];
  server.on('connection', (ws) => sides.push(ws));
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      const client = new WebSocket(`ws://127.0.0.1:${port}`, {
        perMessageDeflate,
      });
      await once(client, 'open');
      return client;
    }),
  );
  while (sides.length < n) await once(server, 'connection');
  return { clients, sides };
}

const text = (n: number) =>
  JSON.stringify({ channel: 'c', payload: 'x'.repeat(n) });

describe('OutboundFrame', () => {
  it('its bytes are one whole text frame, with the 7-bit, 16-bit and 64-bit length forms', () => {
    for (const size of [10, 300, 70_000]) {
      const payload = Buffer.from(text(size));
      const bytes = new OutboundFrame(payload).bytes() as Buffer;
      expect(bytes[0]).toBe(0x81); // FIN, text
      const header =
        payload.length < 126 ? 2 : payload.length < 65_536 ? 4 : 10;
      expect(bytes.length).toBe(header + payload.length);
      expect(bytes.subarray(header).equals(payload)).toBe(true);
      const length =
        header === 2
          ? bytes[1]
          : header === 4
            ? bytes.readUInt16BE(2)
            : Number(bytes.readBigUInt64BE(2));
      expect(length).toBe(payload.length);
      expect(bytes[1] & 0x80).toBe(0); // a server's frames are not masked
    }
  });

  it('the same frame written to many sockets arrives whole on each, in order with ws.send writes, through the socket sender', async () => {
    const { clients, sides } = await pair(3);
    const got = clients.map(() => [] as string[]);
    clients.forEach((client, i) =>
      client.on('message', (data) => got[i].push(data.toString())),
    );
    const frames = [10, 300, 70_000].map(
      (n) => new OutboundFrame(Buffer.from(text(n))),
    );
    for (const side of sides) {
      // Counts what reaches the sender ready-framed (ws.send frames its own first).
      const sender = (
        side as unknown as {
          _sender: { sendFrame(list: Buffer[], cb?: () => void): void };
        }
      )._sender;
      const sendFrame = sender.sendFrame.bind(sender);
      const prepared: Buffer[] = [];
      sender.sendFrame = (list, cb) => {
        if (list.length === 1 && frames.some((f) => f.bytes() === list[0]))
          prepared.push(list[0]);
        sendFrame(list, cb);
      };
      writeFrame(side, 'first');
      for (const frame of frames) writeFrame(side, frame);
      writeFrame(side, Buffer.from('last'));
      expect(prepared).toEqual(frames.map((f) => f.bytes()));
    }
    const expected = ['first', text(10), text(300), text(70_000), 'last'];
    await Promise.all(
      clients.map(
        (client, i) =>
          new Promise<void>((resolve) => {
            const check = () => {
              if (got[i].length >= expected.length) resolve();
              else client.once('message', () => setImmediate(check));
            };
            check();
          }),
      ),
    );
    for (const received of got) expect(received).toEqual(expected);
  });

  it('a socket with permessage-deflate gets it through ws.send (compressed by ws), still whole', async () => {
    const { clients, sides } = await pair(1, true);
    const received = once(clients[0], 'message');
    const big = text(5_000);
    writeFrame(sides[0], new OutboundFrame(Buffer.from(big)));
    expect(String((await received)[0])).toBe(big);
  });
});
