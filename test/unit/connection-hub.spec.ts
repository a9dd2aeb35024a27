import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { ConnectionHub } from '../../src/gateway/connection-hub';
import {
  type LocalView,
  RealtimeConnection,
} from '../../src/gateway/realtime-connection';
import type { RealtimeUpgradeRequest } from '../../src/interfaces/realtime-message';
import { RealtimeStatsCounter } from '../../src/realtime-stats.counter';
import { MemoryRegistry } from '../../src/registry/memory.registry';
import { RecordingSocket } from './recording-socket';

// The hub's index (channel -> connections) and fan-out, against the real memory
// registry and sockets that record what they were sent.

function setUp(maxBufferedBytes = 1024) {
  const registry = new MemoryRegistry({
    pendingTtl: 60_000,
    reconnectGrace: 60_000,
    maxChannelsPerView: 100,
  });
  const stats = new RealtimeStatsCounter();
  const hub = new ConnectionHub('instance-1', registry, stats, {
    maxBufferedBytes,
  });
  const connect = async (digest: string) => {
    const view: LocalView = await hub.open(digest);
    const socket = new RecordingSocket();
    const connection = new RealtimeConnection(
      socket as unknown as WebSocket,
      {} as RealtimeUpgradeRequest,
      `id-${digest}`,
      view,
      null,
      { address: '127.0.0.1', key: undefined },
      100,
      hub,
    );
    hub.add(connection);
    return { socket, connection };
  };
  return { registry, stats, hub, connect };
}

const push = (channel: string, payload: unknown) =>
  `{"channel":${JSON.stringify(channel)},"payload":${JSON.stringify(payload)}}`;

describe('ConnectionHub: index and fan-out', () => {
  it('a view subscribed before it connects is indexed on connect; a push reaches it once', async () => {
    const { registry, hub, connect, stats } = setUp();
    await registry.subscribe('v1', ['a', 'b']);
    const { socket } = await connect('v1');
    expect(hub.channelCount).toBe(2);
    await registry.publish(['a'], '1');
    await registry.publish(['c'], '2');
    expect(socket.sent).toEqual([push('a', 1)]);
    expect(stats.messagesOut).toBe(1);
  });

  it('every connection of a view receives; closing one leaves the other; the last one empties the index', async () => {
    const { registry, hub, connect } = setUp();
    await registry.subscribe('v', ['room']);
    const one = await connect('v');
    const two = await connect('v');
    await registry.publish(['room'], '"x"');
    expect([one.socket.sent, two.socket.sent]).toEqual([
      [push('room', 'x')],
      [push('room', 'x')],
    ]);
    hub.remove(one.connection);
    await registry.publish(['room'], '"y"');
    expect(one.socket.sent).toHaveLength(1);
    expect(two.socket.sent).toEqual([push('room', 'x'), push('room', 'y')]);
    hub.remove(two.connection);
    expect(hub.channelCount).toBe(0);
    expect(hub.connectionCount).toBe(0);
  });

  it('subscribe and unsubscribe events move every connection of the view in and out of the index', async () => {
    const { registry, hub, connect } = setUp();
    const a = await connect('v');
    const b = await connect('v');
    const other = await connect('w');
    await registry.subscribe('v', ['late']);
    expect(hub.channelCount).toBe(1);
    await registry.publish(['late'], '1');
    expect(a.socket.sent).toEqual([push('late', 1)]);
    expect(b.socket.sent).toEqual([push('late', 1)]);
    expect(other.socket.sent).toEqual([]);
    await registry.unsubscribe('v', ['late']);
    expect(hub.channelCount).toBe(0);
    await registry.publish(['late'], '2');
    expect(a.socket.sent).toHaveLength(1);
  });

  it('a matching push reaches each matching channel with its own name; a direct push only its view', async () => {
    const { registry, connect } = setUp();
    await registry.subscribe('v', ['chat:1', 'chat:2', 'chat:1;x']);
    await registry.subscribe('w', ['chat:1']);
    const v = await connect('v');
    const w = await connect('w');
    await registry.publishMatching(['chat:*'], '0');
    expect(v.socket.sent.sort()).toEqual([
      push('chat:1', 0),
      push('chat:2', 0),
    ]);
    expect(w.socket.sent).toEqual([push('chat:1', 0)]);
    await registry.sendTo('w', 'direct', '"only w"');
    expect(w.socket.sent).toContain(push('direct', 'only w'));
    expect(v.socket.sent).not.toContain(push('direct', 'only w'));
  });

  it('a connection that is not open is skipped and counted as dropped; the others still get the frame', async () => {
    const { registry, connect, stats } = setUp();
    await registry.subscribe('v', ['r']);
    await registry.subscribe('w', ['r']);
    const closing = await connect('v');
    const open = await connect('w');
    closing.socket.readyState = 2;
    await registry.publish(['r'], '1');
    expect(closing.socket.sent).toEqual([]);
    expect(open.socket.sent).toEqual([push('r', 1)]);
    expect(stats.framesDropped).toBe(1);
    expect(stats.messagesOut).toBe(1);
  });

  it('a write that leaves the backlog above maxBufferedBytes closes the socket with 4000 and takes it out of the fan-out at once', async () => {
    const { registry, hub, connect, stats } = setUp(100);
    await registry.subscribe('v', ['r']);
    await registry.subscribe('w', ['r']);
    const slow = await connect('v');
    const fast = await connect('w');
    slow.socket.bufferedAmount = 101;
    await registry.publish(['r'], '1');
    expect(slow.socket.closedWith).toBe(4000);
    expect(stats.slowConsumerCloses).toBe(1);
    expect(hub.connectionCount).toBe(1);
    await registry.publish(['r'], '2');
    expect(slow.socket.sent).toEqual([push('r', 1)]);
    expect(fast.socket.sent).toEqual([push('r', 1), push('r', 2)]);
    // At the limit exactly is not above it.
    fast.socket.bufferedAmount = 100;
    await registry.publish(['r'], '3');
    expect(fast.socket.closedWith).toBeUndefined();
  });
});
