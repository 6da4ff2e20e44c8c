import { CloseCode, ErrorCode } from '@app/protocol';
import { FrameRecorder, ofType } from './support/frame-recorder.js';
import { ServerProcess } from '@app/standin';

describe('server under bad input', () => {
  let server: ServerProcess;
  let client: FrameRecorder;

  beforeAll(async () => {
    server = await ServerProcess.start({ DATA_INTERVAL_MS: '60000', MAX_PAYLOAD_BYTES: '1024' });
  });
  afterAll(() => server.stop());

  beforeEach(async () => {
    client = await FrameRecorder.json(server.wsUrl);
    await client.next(ofType('hello'));
  });
  afterEach(() => client.socket.terminate());

  /** Sends `frame`, expects `code`, then proves the connection still serves and lost nothing accepted. */
  async function expectRejected(frame: string | Buffer, code: ErrorCode): Promise<void> {
    client.send({ type: 'request', id: 'accepted-before', payload: { workMs: 100 } });
    client.socket.send(frame);
    expect(await client.next(ofType('error'))).toMatchObject({ code });
    client.send({ type: 'request', id: 'accepted-after', payload: {} });
    const ids = [(await client.next(ofType('result'))).id, (await client.next(ofType('result'))).id];
    expect(ids.sort()).toEqual(['accepted-after', 'accepted-before']);
  }

  it.each([
    ['invalid JSON', '{"type":"request",', ErrorCode.BAD_JSON],
    ['a JSON array', '[]', ErrorCode.BAD_MESSAGE],
    ['a request without id', '{"type":"request","payload":{}}', ErrorCode.BAD_MESSAGE],
    ['a negative workMs', '{"type":"request","id":"x","payload":{"workMs":-1}}', ErrorCode.BAD_MESSAGE],
    ['an unknown type', '{"type":"promote","to":"admin"}', ErrorCode.UNKNOWN_TYPE],
    ['a subscribe without a valid channel', '{"type":"subscribe","topic":"all"}', ErrorCode.BAD_MESSAGE],
    ['a server-only type', '{"type":"close","lastSeq":0}', ErrorCode.UNKNOWN_TYPE],
  ])('answers %s with an error frame and keeps serving', async (_name, frame, code) => {
    await expectRejected(frame, code);
  });

  it('answers a binary frame with BAD_MESSAGE', async () => {
    await expectRejected(Buffer.from('{"type":"ack","seq":0}'), ErrorCode.BAD_MESSAGE);
  });

  it('answers an ack beyond the last seq sent with BAD_MESSAGE', async () => {
    // The only sequenced frame so far is the business data item sent right after hello.
    expect(await client.next(ofType('data'))).toMatchObject({ seq: 1 });
    client.send({ type: 'ack', seq: 5 });
    expect(await client.next(ofType('error'))).toEqual({
      type: 'error',
      code: ErrorCode.BAD_MESSAGE,
      message: 'ack 5 is beyond the last seq sent (1)',
    });
  });

  it('closes with 1009 on a frame over MAX_PAYLOAD_BYTES and logs it', async () => {
    client.send({ type: 'request', id: 'big', payload: { blob: 'x'.repeat(2000) } });
    expect((await client.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    await server.expectEvent('frame_too_large', ({ limitBytes }) => limitBytes === 1024);
  });
});

describe('server configuration', () => {
  it.each([
    ['PORT', 'http', 'PORT must be an integer from 0 to 65535 (got "http")'],
    ['PORT', '70000', 'PORT must be an integer from 0 to 65535 (got "70000")'],
    ['DATA_INTERVAL_MS', '1.5', 'DATA_INTERVAL_MS must be an integer from 10 to 3600000 (got "1.5")'],
    ['DRAIN_TIMEOUT_MS', '0', 'DRAIN_TIMEOUT_MS must be an integer from 1 to 3600000 (got "0")'],
    ['MAX_PAYLOAD_BYTES', '-1', 'MAX_PAYLOAD_BYTES must be an integer from 256 to 104857600 (got "-1")'],
    ['FINAL_DATA_ITEMS', 'two', 'FINAL_DATA_ITEMS must be an integer from 0 to 1000 (got "two")'],
  ])('exits 1 naming %s=%s and its range', async (name, value, message) => {
    // What a person starting it reads.
    const server = ServerProcess.spawn({ LOG_FORMAT: 'text', [name]: value });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.log.lines.join('\n')).toContain(`Invalid configuration: ${message}`);
    expect(server.log.count(/server_listening/)).toBe(0);
  });
});

describe('server with a peer that stops reading', () => {
  it('terminates it once MAX_BUFFERED_BYTES are queued, and keeps serving the others', async () => {
    // Budgets raised: this peer floods on purpose, and the point here is the outbound cut.
    const server = await ServerProcess.start({
      MAX_BUFFERED_BYTES: '65536',
      INBOUND_FRAMES_PER_SEC: '1000000',
      INBOUND_BYTES_PER_SEC: '1000000000',
      MAX_IN_FLIGHT: '100000',
    });
    try {
      const stalled = await FrameRecorder.json(server.wsUrl);
      await stalled.next(ofType('hello'));
      stalled.socket.pause();
      // Each request produces a ~100-byte result: 100 000 of them overflow the loopback socket
      // buffers (a few MB) and then the 64 KiB limit, while this client reads nothing.
      const batch = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ type: 'request', id: `r${i}`, payload: {} }));
      for (let round = 0; round < 100 && server.log.events('slow_consumer').length === 0; round++) {
        for (const frame of batch) stalled.socket.send(frame.replace('"r', `"${round}-r`));
        await new Promise((resolve) => stalled.socket.send('{"type":"ack","seq":0}', resolve));
      }
      const { queuedBytes, limitBytes } = await server.expectEvent('slow_consumer');
      expect(limitBytes).toBe(65536);
      expect(queuedBytes).toBeGreaterThan(65536);

      const healthy = await FrameRecorder.json(server.wsUrl);
      healthy.send({ type: 'request', id: 'still-served', payload: {} });
      expect(await healthy.next(ofType('result'))).toMatchObject({ id: 'still-served' });
      healthy.socket.terminate();
      stalled.socket.terminate();
    } finally {
      await server.stop();
    }
  });
});
