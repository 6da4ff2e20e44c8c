import { CloseCode, SUBPROTOCOL } from '@app/protocol';
import WebSocket from 'ws';
import { ackCloseMarker, FrameRecorder, ofType } from './support/frame-recorder.js';
import { rawUpgrade, refusedUpgrade } from './support/raw-upgrade.js';
import { ServerProcess } from '@app/standin';

describe('server shutdown on SIGTERM', () => {
  let server: ServerProcess;
  afterEach(() => server.stop());

  it('drains in order: shutdown, in-flight result, final data, close marker, then 1001 after the ack; exits 0', async () => {
    server = await ServerProcess.start({ SHUTDOWN_DELAY_MS: '300', FINAL_DATA_ITEMS: '3', DATA_INTERVAL_MS: '60000' });
    const client = await FrameRecorder.json(server.wsUrl);
    await client.next(ofType('hello'));
    // `slow` must still be in flight when the notice goes out (300 ms of delay plus the checks
    // below) and when `late` arrives: 3 s leaves a loaded CI machine room for both.
    client.send({ type: 'request', id: 'slow', payload: { workMs: 3000 } });

    server.signal('SIGTERM');
    await server.expectEvent('drain_started', ({ signal }) => signal === 'SIGTERM');
    const ready = await fetch(`${server.httpUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${server.httpUrl}/health/live`)).status).toBe(200);
    expect((await refusedUpgrade(server.wsUrl)).status).toBe(503);

    const shutdown = await client.next(ofType('shutdown'));
    expect(shutdown).toMatchObject({ reason: 'SIGTERM', inFlight: 1, reconnectJitterMs: 0 });
    expect(shutdown.deadlineMs).toBeGreaterThan(19_000);
    client.send({ type: 'request', id: 'late', payload: {} });

    const closeMarker = await client.next(ofType('close'));
    const afterNotice = client.frames.slice(client.frames.indexOf(shutdown) + 1, client.frames.indexOf(closeMarker));
    expect(afterNotice.filter((frame) => frame.type !== 'error').map((frame) => frame.type)).toEqual(['result', 'data', 'data', 'data']);
    expect(afterNotice.find(ofType('result'))).toMatchObject({ id: 'slow' });
    expect(afterNotice.filter(ofType('data')).every((frame) => frame.final)).toBe(true);
    expect(afterNotice.find(ofType('error'))).toMatchObject({ code: 'DRAINING', id: 'late' });
    expect(client.frames.some((frame) => frame.type === 'result' && frame.id === 'late')).toBe(false);

    const lastData = afterNotice.filter(ofType('data')).at(-1);
    expect(closeMarker.lastSeq).toBe(lastData?.seq);
    // The server waits for the ack: the socket is still open here.
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.send({ type: 'ack', seq: closeMarker.lastSeq });
    expect(await client.closed).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server draining' });

    expect(await server.exited).toEqual({ code: 0, signal: null });
    // Flushed: shutdown, result, 3 final data, the DRAINING error, close.
    expect(server.log.events('drain_final_data')).toMatchObject([{ items: 3, clients: 1 }]);
    expect(server.log.events('drain_complete')).toMatchObject([{ clients: 1, framesFlushed: 7, cutAtDeadline: 0 }]);
    // The original program logged write errors on the sockets it closed under the drain: no warning or error here.
    const levels = server.log.lines.map((line) => (JSON.parse(line) as { level: string }).level);
    expect(levels.filter((level) => level === 'warn' || level === 'error')).toEqual([]);
  });

  it('keeps readiness at 503 and keeps serving established clients during SHUTDOWN_DELAY_MS', async () => {
    // A delay no test outlasts, ended by a second signal: nothing here depends on how fast the machine is.
    server = await ServerProcess.start({ SHUTDOWN_DELAY_MS: '600000', DATA_INTERVAL_MS: '100' });
    const client = await FrameRecorder.json(server.wsUrl);
    expect((await fetch(`${server.httpUrl}/health/ready`)).status).toBe(200);

    server.signal('SIGTERM');
    await server.expectEvent('drain_delayed', ({ delayMs }) => delayMs === 600_000);
    expect((await fetch(`${server.httpUrl}/health/ready`)).status).toBe(503);
    client.send({ type: 'request', id: 'during-delay', payload: {} });
    expect(await client.next(ofType('result'))).toMatchObject({ id: 'during-delay' });
    const dataDuringDelay = await client.next(ofType('data'));
    expect(dataDuringDelay.final).toBe(false);
    expect((await fetch(`${server.httpUrl}/health/ready`)).status).toBe(503);
    expect(client.frames.some(ofType('shutdown'))).toBe(false);

    server.signal('SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it('cuts a client that never acks and a peer that stopped reading at DRAIN_TIMEOUT_MS, then exits 0', async () => {
    server = await ServerProcess.start({ DRAIN_TIMEOUT_MS: '1000', DATA_INTERVAL_MS: '20' });
    const silent = await FrameRecorder.json(server.wsUrl);
    const stalled = await rawUpgrade(server.port, SUBPROTOCOL);
    const polite = await FrameRecorder.json(server.wsUrl);
    ackCloseMarker(polite);

    server.signal('SIGTERM');
    expect((await polite.closed).code).toBe(CloseCode.GOING_AWAY);
    await silent.next(ofType('close'));
    expect(await silent.closed).toEqual({ code: 1006, reason: '' });
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const { cutAtDeadline, durationMs } = await server.expectEvent('drain_complete');
    expect(cutAtDeadline).toBe(2);
    expect(durationMs).toBeGreaterThanOrEqual(1000);
    // Generous bound: it proves the deadline ends the drain, not the peers' kernels or ws's 30 s close timer.
    expect(durationMs).toBeLessThan(10_000);
    stalled.destroy();
  });

  it('cuts every connection at once on a second signal', async () => {
    server = await ServerProcess.start({ SHUTDOWN_DELAY_MS: '60000', DRAIN_TIMEOUT_MS: '60000' });
    const silent = await FrameRecorder.json(server.wsUrl);
    server.signal('SIGTERM');
    await server.expectEvent('drain_delayed');
    server.signal('SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect((await silent.closed).code).toBe(1006);
    expect(server.log.events('drain_complete')).toMatchObject([{ cutAtDeadline: 1 }]);
  });
});

describe('server shutdown on a second signal during the drain', () => {
  it('cuts the client still holding the drain open and exits 0', async () => {
    const server = await ServerProcess.start({ DRAIN_TIMEOUT_MS: '60000' });
    try {
      const silent = await FrameRecorder.json(server.wsUrl);
      server.signal('SIGTERM');
      await silent.next(ofType('close'));
      server.signal('SIGINT');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect((await silent.closed).code).toBe(1006);
      expect(server.log.events('drain_complete')).toMatchObject([{ cutAtDeadline: 1 }]);
    } finally {
      await server.stop();
    }
  });
});

describe('server heartbeat', () => {
  it('terminates a peer that misses two pongs', async () => {
    // The healthy peer has two periods (2 s) to answer a ping, room enough on a loaded machine.
    const server = await ServerProcess.start({ HEARTBEAT_MS: '1000' });
    try {
      const deaf = await FrameRecorder.json(server.wsUrl, { autoPong: false });
      const healthy = await FrameRecorder.json(server.wsUrl);
      expect((await deaf.closed).code).toBe(1006);
      await server.expectEvent('heartbeat_missed', ({ missed }) => missed === 2);
      expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
      healthy.socket.terminate();
    } finally {
      await server.stop();
    }
  });
});
