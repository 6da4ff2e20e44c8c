import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FrameRecorder, ofType } from '../../../test/support/frame-recorder.js';
import { readServerSettings } from '../config/server.config.js';
import { SessionGateway } from '../gateway/session.gateway.js';
import { createServerApp } from '../server.factory.js';

type WritableInternals = Socket & {
  _write: (chunk: unknown, encoding: BufferEncoding, done: (error?: Error | null) => void) => void;
  _writev: (chunks: { chunk: unknown }[], done: (error?: Error | null) => void) => void;
};

describe('DrainingWsAdapter', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createServerApp(readServerSettings({ PORT: '0', SERVER_ID: 'in-process', DATA_INTERVAL_MS: '60000' }), { logger: false });
    await app.listen(0);
  });
  afterAll(() => app.close());

  it('sends the handshake response and the first frames (hello, data) in one write to the TCP socket', async () => {
    const server = app.getHttpServer() as Server;
    /** Chunks handed to the socket per write it made, in order. */
    const writes: number[] = [];
    server.prependOnceListener('upgrade', (_request, upgraded: WritableInternals) => {
      const write = upgraded._write.bind(upgraded);
      const writev = upgraded._writev.bind(upgraded);
      upgraded._write = (chunk, encoding, done) => {
        writes.push(1);
        write(chunk, encoding, done);
      };
      upgraded._writev = (chunks, done) => {
        writes.push(chunks.length);
        writev(chunks, done);
      };
    });
    const { port } = server.address() as AddressInfo;
    const client = await FrameRecorder.json(`ws://127.0.0.1:${port}/ws`);
    await client.next(ofType('data'));
    expect(client.frames.map(({ type }) => type)).toEqual(['hello', 'data']);
    expect(writes).toHaveLength(1);
    client.socket.terminate();
    await client.closed;
  });

  it('may skip Nest disconnect hooks: no gateway it serves implements handleDisconnect', () => {
    // If this fails, DrainingWsAdapter.bindClientDisconnect must bind Nest's hook again.
    expect('handleDisconnect' in SessionGateway.prototype).toBe(false);
  });
});
