import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import {
  MAX_HELD_WHILE_RESUMING,
  type Outlet,
  RealtimeConnection,
} from '../../src/gateway/realtime-connection';
import { finishResume, holdForResume } from '../../src/gateway/resumes';
import { TurnCork } from '../../src/gateway/turn-cork';
import type { RealtimeUpgradeRequest } from '../../src/interfaces/realtime-message';
import { RecordingSocket } from './recording-socket';

// How a connection resumes: held live pushes, the resume frame first, the replay, then
// the held pushes the replay did not cover (a message replayed and also live goes
// out once). Sockets here record what they were sent.

const outlet: Outlet = {
  maxBufferedBytes: 1 << 20,
  cork: new TurnCork(),
  sent: () => undefined,
  slowConsumer: () => undefined,
};

function connection(): {
  c: RealtimeConnection;
  sent: string[];
  socket: RecordingSocket;
} {
  const socket = new RecordingSocket();
  const c = new RealtimeConnection(
    socket as unknown as WebSocket,
    {} as RealtimeUpgradeRequest,
    'id',
    null,
    null,
    { address: '127.0.0.1', key: undefined },
    10,
    outlet,
  );
  return { c, sent: socket.sent, socket };
}

const frame = (channel: string, n: number) =>
  `{"channel":${JSON.stringify(channel)},"payload":${n},"offset":${n}}`;
const live = (c: RealtimeConnection, channel: string, n: number, epoch = 'E') =>
  c.deliver(Buffer.from(frame(channel, n)), channel, epoch, n);

describe('resumes', () => {
  it('the first resume: resume frame first, then the replay, then held pushes past the plan; a push both replayed and live goes out once', () => {
    const { c, sent } = connection();
    holdForResume(c, ['a'], true);
    // Live while the registry works: 3 is also in the replay; 4 is not.
    live(c, 'a', 3);
    live(c, 'a', 4);
    c.send('{"id":1,"payload":"pong"}');
    expect(sent).toEqual([]);
    finishResume(
      c,
      {
        epochs: { a: 'E' },
        failed: {},
        replay: [
          { channel: 'a', offset: 2, json: '2' },
          { channel: 'a', offset: 3, json: '3' },
        ],
        heads: { a: 3 },
      },
      ['a'],
      true,
    );
    expect(sent).toEqual([
      '{"resume":{"recovered":true,"replayed":2,"epoch":{"a":"E"},"failed":{}}}',
      frame('a', 2),
      frame('a', 3),
      frame('a', 4),
      '{"id":1,"payload":"pong"}',
    ]);
    expect(c.opening).toBeUndefined();
    expect(c.resuming).toBeUndefined();
    // Live again: straight through.
    live(c, 'a', 5);
    expect(sent.at(-1)).toBe(frame('a', 5));
  });

  it('a held push of another epoch is not taken for a replayed one', () => {
    const { c, sent } = connection();
    holdForResume(c, ['a'], true);
    live(c, 'a', 1, 'NEW');
    finishResume(
      c,
      { epochs: { a: 'OLD' }, failed: {}, replay: [], heads: { a: 7 } },
      ['a'],
      true,
    );
    expect(sent).toEqual([
      '{"resume":{"recovered":true,"replayed":0,"epoch":{"a":"OLD"},"failed":{}}}',
      frame('a', 1),
    ]);
  });

  it('a channel added while the first resume is out waits behind it; other channels stay live', () => {
    const { c, sent } = connection();
    holdForResume(c, ['a'], true);
    holdForResume(c, ['b'], false);
    live(c, 'b', 1);
    // b's plan comes first: it queues behind a's resume frame.
    finishResume(
      c,
      { epochs: { b: 'E' }, failed: {}, replay: [], heads: { b: 0 } },
      ['b'],
      false,
    );
    expect(sent).toEqual([]);
    finishResume(
      c,
      {
        epochs: { a: 'E' },
        failed: { a: 'limit' },
        replay: [],
        heads: { a: 9 },
      },
      ['a'],
      true,
    );
    expect(sent).toEqual([
      '{"resume":{"recovered":false,"replayed":0,"epoch":{"a":"E"},"failed":{"a":"limit"}}}',
      '{"resume":{"recovered":true,"replayed":0,"epoch":{"b":"E"},"failed":{}}}',
      frame('b', 1),
    ]);
    // Later channel resumes of a live connection go out at once, others pass by.
    holdForResume(c, ['c'], false);
    live(c, 'c', 1);
    live(c, 'a', 10);
    expect(sent.at(-1)).toBe(frame('a', 10));
    finishResume(
      c,
      { epochs: { c: 'E' }, failed: {}, replay: [], heads: { c: 0 } },
      ['c'],
      false,
    );
    expect(sent.slice(-2)).toEqual([
      '{"resume":{"recovered":true,"replayed":0,"epoch":{"c":"E"},"failed":{}}}',
      frame('c', 1),
    ]);
  });

  it('holding a channel again keeps what it held; finishing a channel leaves the others held; a channel not held is skipped', () => {
    const { c, sent } = connection();
    holdForResume(c, ['a', 'b'], true);
    live(c, 'a', 1);
    live(c, 'b', 1);
    holdForResume(c, ['a'], false);
    const plan = (channel: string) => ({
      epochs: { [channel]: 'E' },
      failed: {},
      replay: [],
      heads: { [channel]: 0 },
    });
    // b's part of the first resume, plus a channel that holds nothing.
    finishResume(c, plan('b'), ['b', 'x'], true);
    live(c, 'a', 2);
    expect(sent).toEqual([
      '{"resume":{"recovered":true,"replayed":0,"epoch":{"b":"E"},"failed":{}}}',
      frame('b', 1),
    ]);
    finishResume(c, plan('a'), ['a'], false);
    expect(sent.slice(2)).toEqual([
      '{"resume":{"recovered":true,"replayed":0,"epoch":{"a":"E"},"failed":{}}}',
      frame('a', 1),
      frame('a', 2),
    ]);
    expect(c.resuming).toBeUndefined();
  });

  it('lagging: a replayed push whose live copy comes after the resume is dropped; the next one goes through and ends the floor', () => {
    const { c, sent } = connection();
    holdForResume(c, ['a', 'b'], true);
    finishResume(
      c,
      {
        epochs: { a: 'E', b: 'E' },
        failed: {},
        replay: [{ channel: 'a', offset: 2, json: '2' }],
        heads: { a: 2, b: 0 },
        lagging: { a: 2 },
      },
      ['a', 'b'],
      true,
    );
    const resumed = sent.length;
    live(c, 'a', 2); // its live copy, late
    live(c, 'a', 3);
    live(c, 'a', 2); // the floor ended with 3: nothing is dropped by it any more
    expect(sent.slice(resumed)).toEqual([frame('a', 3), frame('a', 2)]);
    expect(c.floors).toBeUndefined();
  });

  it('a resume that holds more than MAX_HELD_WHILE_RESUMING pushes of a channel closes the socket with 1011 (it reconnects and resumes)', () => {
    const { c, socket } = connection();
    holdForResume(c, ['a'], true);
    for (let n = 1; n <= MAX_HELD_WHILE_RESUMING; n++)
      expect(live(c, 'a', n)).toBe(true);
    expect(socket.closedWith).toBeUndefined();
    expect(live(c, 'a', MAX_HELD_WHILE_RESUMING + 1)).toBe(false);
    expect(socket.closedWith).toBe(1011);
    expect(c.closeReason).toBe('resume_failed');
  });
});
