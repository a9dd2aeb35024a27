import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { RealtimeConnection } from '../../src/gateway/realtime-connection';
import { COALESCE_BYTES, TurnCork } from '../../src/gateway/turn-cork';
import type { RealtimeUpgradeRequest } from '../../src/interfaces/realtime-message';
import { RecordingSocket } from './recording-socket';

// A connection's second and later frames of one turn of the event loop leave together:
// its TCP socket is corked from the second write until the turn ends (one system call
// instead of one per frame); the first frame of a turn leaves at once, as always.

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A TCP socket that counts its cork level and how often it was corked. */
class CountingTcp {
  level = 0;
  corks = 0;
  cork(): void {
    this.level++;
    this.corks++;
  }
  uncork(): void {
    // As Node's: an uncork with nothing corked does nothing.
    if (this.level > 0) this.level--;
  }
}

function connection(cork: TurnCork) {
  const socket = new RecordingSocket();
  const tcp = new CountingTcp();
  (socket as unknown as { _socket: CountingTcp })._socket = tcp;
  const c = new RealtimeConnection(
    socket as unknown as WebSocket,
    {} as RealtimeUpgradeRequest,
    null,
    null,
    null,
    { address: '127.0.0.1', key: undefined },
    10,
    {
      maxBufferedBytes: 1 << 20,
      cork,
      sent: () => undefined,
      slowConsumer: () => undefined,
    },
  );
  return { c, socket, tcp };
}

describe('TurnCork', () => {
  it('numbers turns: the same within one, a new one after it', async () => {
    const cork = new TurnCork();
    const a = cork.turn();
    expect(cork.turn()).toBe(a);
    await nextTurn();
    const b = cork.turn();
    expect(b).toBeGreaterThan(a);
    expect(cork.turn()).toBe(b);
  });

  it('holds a socket corked until the turn ends', async () => {
    const cork = new TurnCork();
    const tcp = new CountingTcp();
    cork.hold(tcp);
    expect(tcp.level).toBe(1);
    await nextTurn();
    expect(tcp.level).toBe(0);
  });

  it('a connection corks from its second write of a turn, once, and is uncorked at its end', async () => {
    const cork = new TurnCork();
    const { c, socket, tcp } = connection(cork);
    expect(c.write('one')).toBe(true);
    expect(tcp.corks).toBe(0);
    c.write('two');
    c.write('three');
    expect(tcp.corks).toBe(1);
    expect(tcp.level).toBe(1);
    expect(socket.sent).toEqual(['one', 'two', 'three']);
    await nextTurn();
    expect(tcp.level).toBe(0);
    // A new turn: its first write leaves at once again.
    c.write('four');
    expect(tcp.corks).toBe(1);
    c.write('five');
    expect(tcp.corks).toBe(2);
    await nextTurn();
    expect(tcp.level).toBe(0);
  });

  it('two connections in one turn: each corks on its own second write only', async () => {
    const cork = new TurnCork();
    const first = connection(cork);
    const second = connection(cork);
    first.c.write('a');
    second.c.write('a');
    first.c.write('b');
    expect([first.tcp.corks, second.tcp.corks]).toEqual([1, 0]);
    await nextTurn();
    expect([first.tcp.level, second.tcp.level]).toEqual([0, 0]);
  });
});

describe('TurnCork and the slow-consumer check', () => {
  it('what waits corked past COALESCE_BYTES goes out at once, and the next write corks again', async () => {
    const cork = new TurnCork();
    const { c, socket, tcp } = connection(cork);
    c.write('a');
    c.write('b');
    expect(tcp.level).toBe(1);
    // The corked frames now fill COALESCE_BYTES: the socket is let out within the turn.
    socket.bufferedAmount = COALESCE_BYTES;
    c.write('c');
    expect(tcp.level).toBe(0);
    socket.bufferedAmount = 0;
    c.write('d');
    expect(tcp.level).toBe(1);
    await nextTurn();
    expect(tcp.level).toBe(0);
    expect(socket.sent).toEqual(['a', 'b', 'c', 'd']);
  });
});
