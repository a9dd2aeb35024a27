import { describe, expect, it } from 'vitest';
import {
  errorFrame,
  pushFrame,
  replyFrame,
  TEXT_FRAME,
} from '../../src/gateway/frames';

// SPEC §4: frames are compact JSON text with their keys in a fixed order.

describe('frames', () => {
  it('pushes are written as text frames', () => {
    expect(TEXT_FRAME).toEqual({ binary: false });
  });

  it('a push frame is {"channel","payload"} around the payload serialized once', () => {
    const frame = pushFrame('chat', '{"text":"hi"}');
    expect(Buffer.isBuffer(frame)).toBe(true);
    expect(frame.toString()).toBe('{"channel":"chat","payload":{"text":"hi"}}');
    expect(pushFrame('a"b\\c', 'null').toString()).toBe(
      '{"channel":"a\\"b\\\\c","payload":null}',
    );
    expect(JSON.parse(pushFrame('é;1', '[1,"x"]').toString())).toEqual({
      channel: 'é;1',
      payload: [1, 'x'],
    });
  });

  it('a reply frame is {"id","payload"}; a missing payload is null', () => {
    expect(replyFrame(7, 'pong')).toBe('{"id":7,"payload":"pong"}');
    expect(replyFrame('a', { x: [1, null] })).toBe(
      '{"id":"a","payload":{"x":[1,null]}}',
    );
    expect(replyFrame(null, undefined)).toBe('{"id":null,"payload":null}');
    expect(replyFrame(1, null)).toBe('{"id":1,"payload":null}');
    expect(replyFrame(1, 0)).toBe('{"id":1,"payload":0}');
    expect(replyFrame(1, false)).toBe('{"id":1,"payload":false}');
    expect(replyFrame(1, '')).toBe('{"id":1,"payload":""}');
  });

  it('an error frame is {"id","error":{"code","message"}}, with "status" only when given', () => {
    expect(errorFrame(3, 'rate_limited', 'slow down')).toBe(
      '{"id":3,"error":{"code":"rate_limited","message":"slow down"}}',
    );
    expect(errorFrame(null, 'bad_request', 'not JSON')).toBe(
      '{"id":null,"error":{"code":"bad_request","message":"not JSON"}}',
    );
    expect(errorFrame('x', 'handler_error', 'Forbidden', 403)).toBe(
      '{"id":"x","error":{"code":"handler_error","message":"Forbidden","status":403}}',
    );
    expect(errorFrame('x', 'handler_error', 'odd', 0)).toBe(
      '{"id":"x","error":{"code":"handler_error","message":"odd","status":0}}',
    );
  });
});
