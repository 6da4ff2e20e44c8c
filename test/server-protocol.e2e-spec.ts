import { ErrorCode } from '@app/protocol';
import { FrameRecorder, ofType } from './support/frame-recorder.js';
import { ServerProcess } from '@app/standin';

describe('server protocol (graceful.v2)', () => {
  let server: ServerProcess;
  let client: FrameRecorder;

  beforeAll(async () => {
    server = await ServerProcess.start({ DATA_INTERVAL_MS: '50', MAX_WORK_MS: '1000' });
  });
  afterAll(() => server.stop());

  beforeEach(async () => {
    client = await FrameRecorder.json(server.wsUrl);
  });
  afterEach(() => client.socket.terminate());

  it('greets with hello naming the server and its limits', async () => {
    const hello = await client.next();
    expect(hello).toMatchObject({
      type: 'hello',
      protocol: 2,
      serverId: 'test-server',
      heartbeatMs: 25000,
      maxPayload: 65536,
      maxInFlight: 100,
    });
  });

  it('still speaks graceful.v1 to a client that offers only it', async () => {
    const v1 = await FrameRecorder.json(server.wsUrl, {}, 'graceful.v1');
    expect(v1.socket.protocol).toBe('graceful.v1');
    expect(await v1.next()).toMatchObject({ type: 'hello', protocol: 1 });
    v1.socket.terminate();
  });

  it('answers a ping with a pong at once, without a seq, the heartbeat a browser can see', async () => {
    await client.next(ofType('hello'));
    client.send({ type: 'ping' });
    expect(await client.next(ofType('pong'))).toEqual({ type: 'pong' });
  });

  it('sends the current business data item right after hello, not one interval later', async () => {
    const slow = await ServerProcess.start({ DATA_INTERVAL_MS: '3600000' });
    try {
      const fresh = await FrameRecorder.json(slow.wsUrl);
      expect(await fresh.next()).toMatchObject({ type: 'hello' });
      expect(await fresh.next()).toMatchObject({ type: 'data', seq: 1, final: false });
      fresh.socket.terminate();
    } finally {
      await slow.stop();
    }
  });

  it('streams data and results with one contiguous seq starting at 1', async () => {
    client.send({ type: 'request', id: 'work-1', payload: { workMs: 120 } });
    client.send({ type: 'request', id: 'work-2', payload: {} });
    const results = [await client.next(ofType('result')), await client.next(ofType('result'))];
    expect(results.map((r) => r.id).sort()).toEqual(['work-1', 'work-2']);
    expect(results.find((r) => r.id === 'work-1')?.payload).toEqual({ servedBy: 'test-server', workMs: 120 });
    await client.next((frame) => frame.type === 'data' && frame.seq > results[1]!.seq);
    const seqs = client.frames.flatMap((frame) => ('seq' in frame ? [frame.seq] : []));
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    expect(client.frames.filter(ofType('data')).every((frame) => frame.final === false)).toBe(true);
  });

  it('accepts cumulative acks up to the last seq sent', async () => {
    const data = await client.next(ofType('data'));
    client.send({ type: 'ack', seq: data.seq });
    client.send({ type: 'request', id: 'after-ack', payload: {} });
    expect(await client.next(ofType('result'))).toMatchObject({ id: 'after-ack' });
    expect(client.frames.filter(ofType('error'))).toEqual([]);
  });

  it('answers an id already in flight with DUPLICATE_ID and still answers the first once', async () => {
    client.send({ type: 'request', id: 'twice', payload: { workMs: 200 } });
    client.send({ type: 'request', id: 'twice', payload: { workMs: 0 } });
    expect(await client.next(ofType('error'))).toMatchObject({ code: ErrorCode.DUPLICATE_ID, id: 'twice' });
    expect(await client.next(ofType('result'))).toMatchObject({ id: 'twice', payload: { workMs: 200 } });
    client.send({ type: 'request', id: 'marker', payload: {} });
    await client.next((frame) => frame.type === 'result' && frame.id === 'marker');
    expect(client.frames.filter((frame) => frame.type === 'result' && frame.id === 'twice')).toHaveLength(1);
  });

  it('refuses workMs over MAX_WORK_MS with BAD_MESSAGE naming the limit', async () => {
    client.send({ type: 'request', id: 'too-long', payload: { workMs: 1001 } });
    expect(await client.next(ofType('error'))).toEqual({
      type: 'error',
      code: ErrorCode.BAD_MESSAGE,
      message: 'payload.workMs must be at most 1000',
      id: 'too-long',
    });
  });
});
