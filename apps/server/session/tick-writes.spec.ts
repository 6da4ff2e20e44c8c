import { PassThrough } from 'node:stream';
import { TickWrites } from './tick-writes.js';

/** A socket that records each write it passes on (one entry per `writev` or `write`). */
function wire(): { socket: PassThrough; writes: string[][] } {
  const writes: string[][] = [];
  const socket = new PassThrough({
    writev(chunks, done) {
      writes.push(chunks.map(({ chunk }) => String(chunk)));
      done();
    },
    write(chunk, _encoding, done) {
      writes.push([String(chunk)]);
      done();
    },
  });
  return { socket, writes };
}

const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TickWrites', () => {
  it('passes what a turn writes to a socket on in one write, at the end of the turn', async () => {
    const ticks = new TickWrites();
    const a = wire();
    const b = wire();
    for (const frame of ['1', '2', '3']) {
      ticks.hold(a.socket);
      a.socket.write(frame);
    }
    ticks.hold(b.socket);
    b.socket.write('x');
    expect([a.writes, b.writes]).toEqual([[], []]);
    await endOfTurn();
    expect([a.writes, b.writes]).toEqual([[['1', '2', '3']], [['x']]]);
  });

  it('holds each turn on its own: a socket written again later is corked again, and released again', async () => {
    const ticks = new TickWrites();
    const a = wire();
    ticks.hold(a.socket);
    a.socket.write('1');
    await endOfTurn();
    ticks.hold(a.socket);
    a.socket.write('2');
    a.socket.write('3');
    await endOfTurn();
    expect(a.writes).toEqual([['1'], ['2', '3']]);
    expect(a.socket.writableCorked).toBe(0);
  });
});
