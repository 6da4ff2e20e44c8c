import { ErrorCode } from './protocol.constants.js';
import { parseClientFrame, parseServerFrame } from './protocol.parser.js';

describe('parseClientFrame', () => {
  it('accepts a request and keeps extra payload fields', () => {
    const result = parseClientFrame('{"type":"request","id":"c1-7","payload":{"workMs":250,"note":"x"}}');
    expect(result).toEqual({
      ok: true,
      message: { type: 'request', id: 'c1-7', payload: { workMs: 250, note: 'x' } },
    });
  });

  it('accepts a cumulative ack', () => {
    expect(parseClientFrame('{"type":"ack","seq":12}')).toEqual({ ok: true, message: { type: 'ack', seq: 12 } });
  });

  it('reports invalid JSON as BAD_JSON', () => {
    const result = parseClientFrame('{"type":');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(ErrorCode.BAD_JSON);
  });

  it.each([
    ['[1,2]', 'frame must be a JSON object'],
    ['null', 'frame must be a JSON object'],
    ['{"seq":1}', 'field "type" must be a string'],
  ])('reports %s as BAD_MESSAGE', (text, message) => {
    expect(parseClientFrame(text)).toEqual({ ok: false, error: { code: ErrorCode.BAD_MESSAGE, message } });
  });

  it('reports an unknown type as UNKNOWN_TYPE', () => {
    expect(parseClientFrame('{"type":"promote"}')).toEqual({
      ok: false,
      error: { code: ErrorCode.UNKNOWN_TYPE, message: 'unknown type "promote"' },
    });
  });

  it('reports a server-only type sent by a client as UNKNOWN_TYPE', () => {
    const result = parseClientFrame('{"type":"hello"}');
    expect(result.ok === false && result.error.code).toBe(ErrorCode.UNKNOWN_TYPE);
  });

  it('reports schema violations as BAD_MESSAGE naming the field, and keeps the request id', () => {
    const result = parseClientFrame('{"type":"request","id":"r1","payload":{"workMs":-5}}');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(ErrorCode.BAD_MESSAGE);
      expect(result.error.id).toBe('r1');
      expect(result.error.message).toContain('payload.workMs');
    }
  });

  it('rejects unexpected fields and over-long ids', () => {
    const extra = parseClientFrame('{"type":"ack","seq":1,"extra":true}');
    expect(extra.ok === false && extra.error.code).toBe(ErrorCode.BAD_MESSAGE);
    const longId = parseClientFrame(JSON.stringify({ type: 'request', id: 'x'.repeat(129), payload: {} }));
    expect(longId.ok === false && longId.error.code).toBe(ErrorCode.BAD_MESSAGE);
  });
});

describe('parseClientFrame: stream frames', () => {
  it('accepts subscribe (with and without since), unsubscribe and publish', () => {
    const frames = [
      { type: 'subscribe', channel: 'prices.eu:fx-1' },
      { type: 'subscribe', channel: 'prices', since: { epoch: 'e1', offset: 0 } },
      { type: 'unsubscribe', channel: 'prices' },
      { type: 'publish', id: 'p-1', channel: 'prices', payload: { bid: 1.1 } },
    ];
    for (const frame of frames) expect(parseClientFrame(JSON.stringify(frame))).toEqual({ ok: true, message: frame });
  });

  it('names the channel of a bad subscribe, but never echoes one longer than a valid name', () => {
    const bad = parseClientFrame('{"type":"subscribe","channel":"a b"}');
    expect(bad.ok === false && bad.error).toMatchObject({ code: ErrorCode.BAD_MESSAGE, channel: 'a b' });
    const huge = parseClientFrame(JSON.stringify({ type: 'unsubscribe', channel: 'x'.repeat(101) }));
    expect(huge.ok === false && huge.error.channel).toBeUndefined();
    const negative = parseClientFrame('{"type":"subscribe","channel":"c","since":{"epoch":"e","offset":-1}}');
    expect(negative.ok === false && negative.error).toMatchObject({ code: ErrorCode.BAD_MESSAGE, channel: 'c' });
  });

  it('names the id of a bad publish', () => {
    const bad = parseClientFrame('{"type":"publish","id":"p9","channel":"c","payload":[]}');
    expect(bad.ok === false && bad.error).toMatchObject({ code: ErrorCode.BAD_MESSAGE, id: 'p9' });
  });
});

describe('parseServerFrame', () => {
  it('accepts every server frame type', () => {
    const frames = [
      { type: 'hello', protocol: 1, serverId: 's', sessionId: 'x', heartbeatMs: 25000, maxPayload: 65536 },
      { type: 'data', seq: 1, payload: { at: 'now' }, final: false },
      { type: 'result', seq: 2, id: 'r1', payload: {} },
      { type: 'shutdown', reason: 'SIGTERM', deadlineMs: 20000, inFlight: 1, reconnectJitterMs: 0 },
      { type: 'close', lastSeq: 4 },
      { type: 'error', code: 'DRAINING', message: 'draining', id: 'r2' },
      { type: 'error', code: 'UNAVAILABLE', message: 'later', channel: 'c' },
      { type: 'subscribed', seq: 5, channel: 'c', epoch: 'e1', top: 0, recovered: true },
      { type: 'message', seq: 6, channel: 'c', offset: 1, id: 'p1', payload: {} },
      { type: 'published', seq: 7, id: 'p1', channel: 'c', offset: 1, duplicate: false },
    ];
    for (const frame of frames) {
      expect(parseServerFrame(JSON.stringify(frame))).toEqual({ ok: true, message: frame });
    }
  });

  it('rejects a data frame with seq 0 and an error with an unknown code', () => {
    expect(parseServerFrame('{"type":"data","seq":0,"payload":{},"final":false}').ok).toBe(false);
    expect(parseServerFrame('{"type":"error","code":"NOPE","message":""}').ok).toBe(false);
  });
});
