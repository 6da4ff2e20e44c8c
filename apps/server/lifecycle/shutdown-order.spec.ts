import 'reflect-metadata';
import { CloseCode } from '@app/protocol';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { ackCloseMarker, FrameRecorder, ofType } from '../../../test/support/frame-recorder.js';
import { DrainingExpressAdapter } from '../adapters/draining-express.adapter.js';
import { DrainingWsAdapter } from '../adapters/draining-ws.adapter.js';
import { readServerSettings } from '../config/server.config.js';
import { createServerApp } from '../server.factory.js';
import { ShutdownCoordinator } from './shutdown-coordinator.js';

/** Records the order in which Nest calls the shutdown steps the drain depends on. */
function recordCalls(calls: string[]): void {
  const steps: [object, string, string][] = [
    [ShutdownCoordinator.prototype, 'onModuleDestroy', 'onModuleDestroy'],
    [ShutdownCoordinator.prototype, 'beforeApplicationShutdown', 'beforeApplicationShutdown'],
    [DrainingWsAdapter.prototype, 'close', 'ws adapter close'],
    [DrainingExpressAdapter.prototype, 'close', 'http adapter close'],
    [ShutdownCoordinator.prototype, 'onApplicationShutdown', 'drain (onApplicationShutdown)'],
  ];
  for (const [target, method, label] of steps) {
    const original = (target as Record<string, (...args: unknown[]) => unknown>)[method]!;
    jest.spyOn(target as Record<string, (...args: unknown[]) => unknown>, method).mockImplementation(function (
      this: unknown,
      ...args: unknown[]
    ) {
      calls.push(label);
      return original.apply(this, args);
    });
  }
}

describe('server shutdown hooks (in-process)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createServerApp(readServerSettings({ PORT: '0', SERVER_ID: 'in-process', DATA_INTERVAL_MS: '60000' }), { logger: false });
    await app.listen(0);
  });
  afterAll(() => jest.restoreAllMocks());

  it('runs the drain after dispose() without deadlocking, and the client gets the whole sequence and 1001', async () => {
    const calls: string[] = [];
    recordCalls(calls);
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    const client = await FrameRecorder.json(`ws://127.0.0.1:${port}/ws`);
    await client.next(ofType('hello'));
    // Still in flight when the drain's notice goes out: app.close() reaches the drain within
    // milliseconds, and 2 s leaves a loaded CI machine room so the frame order below is certain.
    client.send({ type: 'request', id: 'in-flight', payload: { workMs: 2000 } });
    // Frames on one socket are handled in order: once `probe` is answered, `in-flight` is in flight.
    client.send({ type: 'request', id: 'probe', payload: {} });
    await client.next(ofType('result'));
    ackCloseMarker(client);

    await app.close();

    expect(calls).toEqual([
      'onModuleDestroy',
      'beforeApplicationShutdown',
      'ws adapter close',
      'http adapter close',
      'drain (onApplicationShutdown)',
    ]);
    expect(await client.closed).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server draining' });
    expect(client.frames.map((frame) => frame.type)).toEqual(['hello', 'data', 'result', 'shutdown', 'result', 'data', 'data', 'close']);
    expect(client.frames.filter(ofType('result')).map((frame) => frame.id)).toEqual(['probe', 'in-flight']);
    expect((app.getHttpServer() as Server).listening).toBe(false);
  });
});
