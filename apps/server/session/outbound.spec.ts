import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type WebSocket from 'ws';
import { JsonCodec, TextCodec, type SessionCodec } from './codec/index.js';
import { businessItem } from './feed/business-item.js';
import { Outbound } from './outbound.js';
import { PeerLog } from './peer-log.js';
import { Peer } from './peer.js';
import { TickWrites } from './tick-writes.js';

/** The part of a `ws` socket the sender touches. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  /** No extension negotiated (as this server always answers), unless a test says otherwise. */
  extensions = '';
  bufferedAmount = 0;
  readonly sent: string[] = [];
  readonly frames: { data: string | Buffer; binary: boolean }[] = [];
  terminated = false;
  send(data: string | Buffer, options: { binary: boolean }): void {
    this.sent.push(String(data));
    this.frames.push({ data, binary: options.binary });
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
}

const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
const metrics = { frameSent: jest.fn(), rejected: jest.fn(), cut: jest.fn() };

function outbound(codec: SessionCodec, maxBufferedBytes = 1024, extensions = ''): { socket: FakeSocket; wire: PassThrough; out: Outbound } {
  const socket = Object.assign(new FakeSocket(), { extensions });
  const wire = new PassThrough();
  return {
    socket,
    wire,
    out: new Outbound(
      socket as unknown as WebSocket,
      wire,
      new TickWrites(),
      codec,
      maxBufferedBytes,
      new Peer({ remoteAddress: 'peer', remotePort: 1 }),
      new PeerLog(logger, 'Client peer:1'),
      metrics,
    ),
  };
}

const item = businessItem(new Date(2025, 0, 1, 8, 30, 0));

describe('Outbound', () => {
  it('numbers sequenced frames from 1, puts type and seq first, and settles only on an ack of the last', () => {
    const { socket, out } = outbound(new JsonCodec('graceful.v2'));
    out.sendSequenced({ type: 'data', payload: item, final: false });
    out.sendSequenced({ type: 'result', id: 'r1', payload: {} });
    out.send({ type: 'close', lastSeq: out.lastSeq });
    expect(socket.sent.map((text) => text.slice(0, 26))).toEqual([
      '{"type":"data","seq":1,"pa',
      '{"type":"result","seq":2,"',
      '{"type":"close","lastSeq":',
    ]);
    expect(out.settled).toBe(false);
    expect(out.ack(3)).toBe(false);
    expect(out.ack(1)).toBe(true);
    expect(out.settled).toBe(false);
    expect(out.ack(2)).toBe(true);
    expect(out.ack(1)).toBe(true);
    expect({ settled: out.settled, ackedSeq: out.ackedSeq, framesSent: out.framesSent }).toEqual({
      settled: true,
      ackedSeq: 2,
      framesSent: 3,
    });
  });

  it('v2: writes a channel entry without a seq, as one WebSocket text frame whose bytes every connection shares', async () => {
    const entry = { offset: 5, id: 'p-5', payload: { price: 1 } };
    const text = '{"type":"message","channel":"prices","offset":5,"id":"p-5","payload":{"price":1}}';
    const first = outbound(new JsonCodec('graceful.v2'));
    const second = outbound(new JsonCodec('graceful.v2'));
    first.out.sendEntry('prices', entry);
    second.out.sendEntry('prices', entry);
    expect(first.socket.frames).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    const [a, b] = [first.wire.read() as Buffer, second.wire.read() as Buffer];
    // FIN + text opcode, unmasked, the payload's length, then the payload (RFC 6455 §5.2).
    expect(a).toEqual(Buffer.concat([Buffer.from([0x81, text.length]), Buffer.from(text)]));
    expect(b).toEqual(a);
    expect(first.out.lastSeq).toBe(0);
  });

  it('v2: hands a shared frame to ws instead when an extension was negotiated; v1 numbers channel entries', () => {
    const entry = { offset: 5, id: 'p-5', payload: { price: 1 } };
    const deflating = outbound(new JsonCodec('graceful.v2'), 1024, 'permessage-deflate');
    deflating.out.sendEntry('prices', entry);
    expect(deflating.socket.frames).toEqual([
      { data: Buffer.from('{"type":"message","channel":"prices","offset":5,"id":"p-5","payload":{"price":1}}'), binary: false },
    ]);

    const v1 = outbound(new JsonCodec('graceful.v1'));
    v1.out.sendSequenced({ type: 'data', payload: item, final: false });
    v1.out.sendEntry('prices', entry);
    expect(v1.socket.sent[1]).toBe('{"type":"message","seq":2,"channel":"prices","offset":5,"id":"p-5","payload":{"price":1}}');
    expect(v1.out.lastSeq).toBe(2);
  });

  it('numbers nothing in a dialect without sequence numbers, so it is always settled', () => {
    const { socket, out } = outbound(new TextCodec());
    out.sendSequenced({ type: 'data', payload: item, final: false });
    out.send({ type: 'hello', protocol: 1, serverId: 's', sessionId: 'x', heartbeatMs: 1, maxPayload: 1 });
    expect(socket.sent).toEqual(['Business data: 08:30:00']);
    expect({ lastSeq: out.lastSeq, settled: out.settled, framesSent: out.framesSent }).toEqual({
      lastSeq: 0,
      settled: true,
      framesSent: 1,
    });
  });

  it('cuts a peer with more than maxBufferedBytes queued instead of queueing more, and writes nothing to a closed socket', () => {
    const { socket, out } = outbound(new JsonCodec('graceful.v2'), 100);
    socket.bufferedAmount = 101;
    out.send({ type: 'close', lastSeq: 0 });
    expect({ terminated: socket.terminated, sent: socket.sent }).toEqual({ terminated: true, sent: [] });
    expect(logger.warn).toHaveBeenCalledWith('Client peer:1 is not reading: 101 bytes queued (limit 100); terminating', {
      event: 'slow_consumer',
      peer: 'peer:1',
      queuedBytes: 101,
      limitBytes: 100,
    });
    expect(metrics.cut).toHaveBeenCalledWith('slow_consumer');
    out.send({ type: 'close', lastSeq: 0 });
    expect(socket.sent).toEqual([]);
  });
});
