import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { JsonCodec, TextCodec, type SessionCodec } from './codec/index.js';
import { businessItem } from './feed/business-item.js';
import { Outbound } from './outbound.js';
import { PeerLog } from './peer-log.js';

/** The part of a `ws` socket the sender touches. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  terminated = false;
  send(text: string): void {
    this.sent.push(text);
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
}

const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
const metrics = { frameSent: jest.fn(), rejected: jest.fn(), cut: jest.fn() };

function outbound(codec: SessionCodec, maxBufferedBytes = 1024): { socket: FakeSocket; out: Outbound } {
  const socket = new FakeSocket();
  return { socket, out: new Outbound(socket as unknown as WebSocket, codec, maxBufferedBytes, 'peer:1', new PeerLog(logger, 'Client peer:1'), metrics) };
}

const item = businessItem(new Date(2025, 0, 1, 8, 30, 0));

describe('Outbound', () => {
  it('numbers sequenced frames from 1, puts type and seq first, and settles only on an ack of the last', () => {
    const { socket, out } = outbound(new JsonCodec());
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
    expect({ settled: out.settled, ackedSeq: out.ackedSeq, framesSent: out.framesSent }).toEqual({ settled: true, ackedSeq: 2, framesSent: 3 });
  });

  it('numbers nothing in a dialect without sequence numbers, so it is always settled', () => {
    const { socket, out } = outbound(new TextCodec());
    out.sendSequenced({ type: 'data', payload: item, final: false });
    out.send({ type: 'hello', protocol: 1, serverId: 's', sessionId: 'x', heartbeatMs: 1, maxPayload: 1 });
    expect(socket.sent).toEqual(['Business data: 08:30:00']);
    expect({ lastSeq: out.lastSeq, settled: out.settled, framesSent: out.framesSent }).toEqual({ lastSeq: 0, settled: true, framesSent: 1 });
  });

  it('cuts a peer with more than maxBufferedBytes queued instead of queueing more, and writes nothing to a closed socket', () => {
    const { socket, out } = outbound(new JsonCodec(), 100);
    socket.bufferedAmount = 101;
    out.send({ type: 'close', lastSeq: 0 });
    expect({ terminated: socket.terminated, sent: socket.sent }).toEqual({ terminated: true, sent: [] });
    expect(logger.warn).toHaveBeenCalledWith('Client peer:1 is not reading: 101 bytes queued (limit 100); terminating');
    expect(metrics.cut).toHaveBeenCalledWith('slow_consumer');
    out.send({ type: 'close', lastSeq: 0 });
    expect(socket.sent).toEqual([]);
  });
});
