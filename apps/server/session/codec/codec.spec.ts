import { jest } from '@jest/globals';
import { ErrorCode } from '@app/protocol';
import { businessItem } from '../feed/business-item.js';
import { JsonCodec } from './json.codec.js';
import { TextCodec } from './text.codec.js';

const at = new Date(2025, 8, 12, 7, 0, 2);

const payloads = [{}, { qty: 3, note: 'quote " backslash \\ é 🚀 \u2028' }, { nested: { list: [1, null, true], empty: '' } }];
const stops = { 'orders.eu': { epoch: 'e1', offset: 7 } };

describe('JsonCodec', () => {
  const codec = new JsonCodec('graceful.v2');
  const v1 = new JsonCodec('graceful.v1');

  it('encodes every frame as its JSON object', () => {
    expect(codec.encode({ type: 'close', lastSeq: 4 })).toBe('{"type":"close","lastSeq":4}');
    expect(codec.encode({ type: 'close', lastSeq: 4, channels: stops })).toBe(
      '{"type":"close","lastSeq":4,"channels":{"orders.eu":{"epoch":"e1","offset":7}}}',
    );
  });

  it('v2: a channel message has no seq, and every connection is handed the same bytes for an entry', () => {
    for (const [index, payload] of payloads.entries()) {
      const entry = { offset: index + 1, id: `p-${index}`, payload };
      const seqs = { nextSeq: jest.fn(() => 1) };
      const frame = codec.encodeEntry('orders.eu', entry, seqs);
      expect(frame).toBeInstanceOf(Buffer);
      expect(frame.toString()).toBe(codec.encode({ type: 'message', channel: 'orders.eu', ...entry }));
      expect(codec.encodeEntry('orders.eu', entry, seqs)).toBe(frame);
      expect(seqs.nextSeq).not.toHaveBeenCalled();
    }
  });

  it('v1: a channel message takes the next seq, and reads exactly as the whole frame encoded', () => {
    for (const [index, payload] of payloads.entries()) {
      const entry = { offset: index + 1, id: `p-${index}`, payload };
      const whole = v1.encode({ type: 'message', seq: 41 + index, channel: 'orders.eu', ...entry });
      expect(v1.encodeEntry('orders.eu', entry, { nextSeq: () => 41 + index })).toBe(whole);
    }
  });

  it('v1: the close marker leaves out the channels its clients do not know', () => {
    expect(v1.encode({ type: 'close', lastSeq: 4, channels: stops })).toBe('{"type":"close","lastSeq":4}');
  });

  it('decodes a valid frame, and reports binary and invalid frames with their error codes', () => {
    expect(codec.decode(Buffer.from('{"type":"ack","seq":3}'), false)).toEqual({ kind: 'message', message: { type: 'ack', seq: 3 } });
    expect(codec.decode(Buffer.from('{"type":"ack"'), false)).toMatchObject({ kind: 'invalid', error: { code: ErrorCode.BAD_JSON } });
    expect(codec.decode(Buffer.from([1, 2]), true)).toEqual({
      kind: 'invalid',
      error: { code: ErrorCode.BAD_MESSAGE, message: 'binary frames are not accepted; send JSON text frames' },
    });
  });
});

describe('TextCodec', () => {
  const codec = new TextCodec();

  it('renders the drain sequence and data as the original program did', () => {
    expect(codec.encode({ type: 'data', seq: 0, payload: businessItem(at), final: false })).toBe('Business data: 07:00:02');
    expect(codec.encode({ type: 'data', seq: 0, payload: businessItem(at, 2), final: true })).toBe('Final data: 07:00:02 - 2');
    expect(codec.encode({ type: 'shutdown', reason: 'SIGTERM', deadlineMs: 1, inFlight: 0, reconnectJitterMs: 0 })).toBe('SHUTDOWN');
    expect(codec.encode({ type: 'close', lastSeq: 0 })).toBe('CLOSE');
  });

  it('sends nothing for frames the original dialect does not have', () => {
    expect(codec.encode({ type: 'hello', protocol: 1, serverId: 's', sessionId: 'x', heartbeatMs: 1, maxPayload: 1 })).toBeUndefined();
    expect(codec.encode({ type: 'error', code: ErrorCode.BAD_JSON, message: 'x' })).toBeUndefined();
  });

  it('treats whatever the peer sends as chatter', () => {
    expect(codec.decode(Buffer.from('{"type":"request"}'), false)).toEqual({ kind: 'chatter', text: '{"type":"request"}' });
    expect(codec.decode(Buffer.from([0]), true)).toEqual({ kind: 'chatter', text: '<binary frame>' });
  });
});
