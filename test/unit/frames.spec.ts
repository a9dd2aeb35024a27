import { describe, expect, it } from 'vitest';
import {
  errorFrame,
  FrameProblem,
  parseRequest,
  pushFrame,
  replyFrame,
  requestIdOf,
} from '../../src/protocol';

// SPEC §4: frames are compact JSON text with their keys in a fixed order.

describe('frames', () => {
  it('a push frame is {"channel","payload"} around the payload serialized once', () => {
    expect(pushFrame('chat', '{"text":"hi"}')).toBe(
      '{"channel":"chat","payload":{"text":"hi"}}',
    );
    expect(pushFrame('a"b\\c', 'null')).toBe(
      '{"channel":"a\\"b\\\\c","payload":null}',
    );
    expect(JSON.parse(pushFrame('é;1', '[1,"x"]'))).toEqual({
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

  it('parseRequest reads a request, or says exactly why a frame is not one (with its id when it has a usable one)', () => {
    expect(parseRequest('{"id":1,"action":"ping","x":[2]}')).toEqual({
      ok: true,
      request: { id: 1, action: 'ping', x: [2] },
    });
    expect(parseRequest('{"id":"a","action":"p"}')).toMatchObject({
      ok: true,
    });
    const refused: Array<[string, unknown, string]> = [
      ['not json', null, FrameProblem.NotJson],
      ['', null, FrameProblem.NotJson],
      ['[1]', null, FrameProblem.NotObject],
      ['null', null, FrameProblem.NotObject],
      ['"s"', null, FrameProblem.NotObject],
      ['{"action":"ping"}', null, FrameProblem.BadId],
      ['{"id":{},"action":"ping"}', null, FrameProblem.BadId],
      ['{"id":1e999,"action":"ping"}', null, FrameProblem.BadId],
      ['{"id":5}', 5, FrameProblem.BadAction],
      ['{"id":"x","action":""}', 'x', FrameProblem.BadAction],
      ['{"id":"x","action":42}', 'x', FrameProblem.BadAction],
    ];
    for (const [text, id, problem] of refused)
      expect(parseRequest(text), text).toEqual({ ok: false, id, problem });
  });

  it('requestIdOf finds a usable id, else null', () => {
    expect(requestIdOf('{"id":7,"action":"ping"}')).toBe(7);
    expect(requestIdOf('{"id":"k"}')).toBe('k');
    expect(requestIdOf('{"id":null}')).toBeNull();
    expect(requestIdOf('{"id":[1]}')).toBeNull();
    expect(requestIdOf('{"id":1e999}')).toBeNull();
    expect(requestIdOf('nope')).toBeNull();
    expect(requestIdOf('null')).toBeNull();
  });
});
