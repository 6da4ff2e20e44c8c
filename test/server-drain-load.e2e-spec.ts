import { CloseCode, SUBPROTOCOL, parseServerFrame } from '@app/protocol';
import WebSocket from 'ws';
import { ServerProcess } from '@app/standin';

const CLIENTS = 1000;

/** A minimal well-behaved client: acks the close marker and reports its close code. */
function connectAcking(url: string): Promise<{ closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, SUBPROTOCOL, { handshakeTimeout: 30_000 });
    const closed = new Promise<number>((done) => socket.once('close', (code) => done(code)));
    socket.on('message', (data: Buffer) => {
      const parsed = parseServerFrame(data.toString());
      if (parsed.ok && parsed.message.type === 'close') socket.send(JSON.stringify({ type: 'ack', seq: parsed.message.lastSeq }));
    });
    socket.once('open', () => resolve({ closed }));
    socket.once('error', reject);
  });
}

describe(`drain of ${CLIENTS} connected clients`, () => {
  it('closes every one with 1001 after its ack and exits 0', async () => {
    const server = await ServerProcess.start({ DATA_INTERVAL_MS: '3600000', HEARTBEAT_MS: '3600000' });
    try {
      const clients = [];
      for (let batch = 0; batch < CLIENTS / 100; batch++) {
        clients.push(...(await Promise.all(Array.from({ length: 100 }, () => connectAcking(server.wsUrl)))));
      }
      server.signal('SIGTERM');
      const codes = await Promise.all(clients.map((client) => client.closed));
      expect(codes.filter((code) => code !== CloseCode.GOING_AWAY)).toEqual([]);
      expect(await server.exited).toEqual({ code: 0, signal: null });
      const summary = await server.expectEvent('drain_complete');
      expect([summary.clients, summary.cutAtDeadline]).toEqual([CLIENTS, 0]);
      process.stdout.write(
        `\n  measured: drain of ${CLIENTS} idle clients took ${summary.durationMs} ms (original program: fixed 2000 ms)\n\n`,
      );
    } finally {
      await server.stop();
    }
    // Bounded by the connects and the 20 s drain deadline; generous because a loaded machine
    // can take many seconds to open 1000 connections.
  }, 180_000);
});
