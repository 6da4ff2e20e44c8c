import { ackCloseMarker, FrameRecorder, ofType } from './support/frame-recorder.js';
import { ServerProcess } from '@app/standin';

describe('server log format', () => {
  it('LOG_FORMAT=json writes one JSON object per line, with structured fields for connections and the drain', async () => {
    const server = await ServerProcess.start({ LOG_LEVEL: 'debug' });
    const client = await FrameRecorder.json(server.wsUrl);
    await client.next(ofType('hello'));
    ackCloseMarker(client);
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const records = server.log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((record) => record.event === 'server_listening')).toMatchObject({
      level: 'log',
      context: 'Server',
      port: server.port,
      message: `Server starting on :${server.port}`,
    });
    const report = records.find((record) => record.event === 'drain_complete');
    expect(report).toMatchObject({
      level: 'log',
      context: 'ShutdownCoordinator',
      pid: server.pid,
      event: 'drain_complete',
      clients: 1,
      cutAtDeadline: 0,
    });
    expect(typeof report?.timestamp).toBe('number');
    expect(typeof report?.durationMs).toBe('number');
    expect(typeof report?.framesFlushed).toBe('number');
    const events = records.filter((record) => record.event !== undefined);
    expect(events.map(({ event }) => event)).toEqual([
      'server_listening',
      'client_connected',
      'drain_started',
      'drain_final_data',
      'client_disconnected',
      'drain_complete',
    ]);
    expect(events[1]).toMatchObject({ peer: expect.stringMatching(/127\.0\.0\.1:\d+$/) as unknown, dialect: 'json' });
    expect(events[2]).toMatchObject({ signal: 'SIGTERM' });
    expect(events[3]).toMatchObject({ items: 2, clients: 1 });
    expect(events[4]).toMatchObject({ peer: events[1]?.peer, code: 1001 });
  });

  it('leaves the per-connection lines to LOG_LEVEL=debug: at the default level only the server and its drain are told', async () => {
    const server = await ServerProcess.start();
    const client = await FrameRecorder.json(server.wsUrl);
    await client.next(ofType('hello'));
    ackCloseMarker(client);
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const events = server.log.lines.flatMap((line) => (JSON.parse(line) as { event?: string }).event ?? []);
    expect(events).toEqual(['server_listening', 'drain_started', 'drain_final_data', 'drain_complete']);
  });

  it('reports a configuration error as a JSON line too when LOG_FORMAT=json', async () => {
    const server = ServerProcess.spawn({ LOG_FORMAT: 'json', MAX_CONNECTIONS: 'lots' });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.log.lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({
        level: 'error',
        context: 'Server',
        message: expect.stringMatching(/^Invalid configuration: MAX_CONNECTIONS must be an integer/) as unknown,
      }),
    ]);
  });

  it('writes no ANSI colour codes when its output is not a terminal, even without NO_COLOR', async () => {
    const server = await ServerProcess.start({ LOG_FORMAT: 'text', LOG_LEVEL: 'debug', NO_COLOR: '' });
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      // Text appends an event's fields to its line: the name is there to wait for.
      await server.expectLine(/event: 'client_connected'/);
      expect(server.log.lines.some((line) => line.includes('\u001b['))).toBe(false);
      client.socket.close();
    } finally {
      await server.stop();
    }
  });
});
