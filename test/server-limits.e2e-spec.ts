import { CloseCode, SUBPROTOCOL } from '@app/protocol';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { ackCloseMarker, FrameRecorder, ofType } from './support/frame-recorder.js';
import { clientPingFrame, clientPongFrame, clientTextFrame } from './support/raw-frames.js';
import { rawUpgrade, upgradeRequest } from './support/raw-upgrade.js';
import { ServerProcess } from '@app/standin';
import { floodFreshNames } from './support/stream-flood.js';

/** Sends `request` on a socket (a new one unless given) and resolves with the head of the HTTP response. */
function httpExchange(port: number, request: string, socket: Socket = connect(port, '127.0.0.1')): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed before a response; got ${JSON.stringify(text)}`)));
    socket.write(request);
  });
}

/**
 * A hostile peer: upgrades, then writes junk frames as fast as TCP takes them (reading and
 * discarding what the server sends, so only the server's inbound limits can stop it), and
 * connects again whenever it is closed, until stopped. Counts how its upgrades were answered.
 */
class Flooder {
  readonly answers = new Map<string, number>();
  private stopped = false;
  private socket: Socket | undefined;
  private static readonly burst = Buffer.concat(Array.from({ length: 8000 }, () => clientTextFrame('x')));

  constructor(private readonly port: number) {}

  start(): void {
    if (this.stopped) return;
    const socket = connect(this.port, '127.0.0.1');
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.once('close', () => this.start());
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n')) return;
      socket.off('data', onData);
      const status = head.slice(9, 12);
      this.answers.set(status, (this.answers.get(status) ?? 0) + 1);
      socket.resume();
      if (status === '101') this.flood(socket);
    };
    socket.on('data', onData);
    socket.write(upgradeRequest(this.port, { subprotocol: SUBPROTOCOL }));
  }

  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
  }

  private flood(socket: Socket): void {
    while (!socket.destroyed && socket.write(Flooder.burst));
    if (!socket.destroyed) socket.once('drain', () => this.flood(socket));
  }
}

describe('server under a flood of junk frames from several connections', () => {
  it('keeps answering health checks and drains a well-behaved client in full within DRAIN_TIMEOUT_MS + 1 s of SIGTERM', async () => {
    const server = await ServerProcess.start({ DRAIN_TIMEOUT_MS: '3000', DATA_INTERVAL_MS: '60000', FINAL_DATA_ITEMS: '2' });
    const flooders = Array.from({ length: 4 }, () => new Flooder(server.port));
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      ackCloseMarker(client);
      await client.next(ofType('hello'));

      // Warm this process's HTTP client first: the probes below time the server, not its first fetch.
      expect((await fetch(`${server.httpUrl}/health/live`)).status).toBe(200);
      for (const flooder of flooders) flooder.start();
      await server.expectEvent('inbound_abused');
      // Probe timeouts in the manifests are 1 s: the floods must not push an answer past that.
      for (let probe = 0; probe < 5; probe++) {
        for (const path of ['/health/ready', '/health/live']) {
          const response = await fetch(`${server.httpUrl}${path}`, { signal: AbortSignal.timeout(1000) });
          expect(`${path} ${response.status}`).toBe(`${path} 200`);
        }
      }

      // Sent only now, so it is still running at SIGTERM however long the floods took above.
      // Frames on one socket are handled in order: once `probe` is answered, `in-flight` is in flight.
      client.send({ type: 'request', id: 'in-flight', payload: { workMs: 1500 } });
      client.send({ type: 'request', id: 'probe', payload: {} });
      await client.next((frame) => frame.type === 'result' && frame.id === 'probe');
      const signalledAt = Date.now();
      server.signal('SIGTERM');
      expect(await client.closed).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server draining' });
      expect(await server.exited).toEqual({ code: 0, signal: null });
      // An upper bound that only a regression breaks: the deadline plus 1 s of slack.
      expect((server.exitedAt as number) - signalledAt).toBeLessThan(3000 + 1000);

      const types = client.frames.map((frame) => frame.type);
      expect(types.slice(types.indexOf('shutdown'))).toEqual(['shutdown', 'result', 'data', 'data', 'close']);
      expect(client.frames.filter(ofType('result')).map((frame) => frame.id)).toEqual(['probe', 'in-flight']);
      expect(server.log.events('drain_complete')).toHaveLength(1);
      // Flooders kept coming back: at least one was refused with 503 during the drain, none got a 404.
      expect(flooders.some((flooder) => (flooder.answers.get('503') ?? 0) > 0)).toBe(true);
      expect(flooders.every((flooder) => !flooder.answers.has('404'))).toBe(true);
    } finally {
      for (const flooder of flooders) flooder.stop();
      await server.stop();
    }
  });
});

/** The server's close frame for abuse: FIN + close opcode, unmasked, code 1008 and its reason. */
const CLOSED_FOR_ABUSE = Buffer.concat([
  Buffer.from([0x88, 2 + 27, CloseCode.POLICY_VIOLATION >> 8, CloseCode.POLICY_VIOLATION & 0xff]),
  Buffer.from('inbound rate limit exceeded'),
]);

/** Upgrades a bare socket, writes `frames` in one TCP write, and resolves with all it received once the server ended the connection. */
async function burstUntilClosed(port: number, frames: Buffer[]): Promise<Buffer> {
  const socket = await rawUpgrade(port, SUBPROTOCOL);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(Buffer.concat(frames));
  socket.resume();
  await closed;
  return Buffer.concat(chunks);
}

describe('server inbound budget', () => {
  it('handles every frame it read, stops reading over budget with RATE_LIMITED, and reads again once the debt is paid', async () => {
    const server = await ServerProcess.start({ INBOUND_FRAMES_PER_SEC: '50', MAX_IN_FLIGHT: '1000' });
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      // Burst of 100 (2 s × 50/s) plus 30 over: one write, so the server reads them together.
      const frames = Array.from({ length: 130 }, (_, i) => JSON.stringify({ type: 'request', id: `r${i}`, payload: {} }));
      for (const frame of frames) client.send(frame);
      // Nothing read is dropped: every request gets its result, before or after the pause.
      const results = new Set<string>();
      while (results.size < 130) results.add((await client.next(ofType('result'))).id);
      expect(client.frames.filter((frame) => frame.type === 'error').map((frame) => frame.code)).toEqual(['RATE_LIMITED']);
      client.send({ type: 'request', id: 'after-pause', payload: {} });
      expect(await client.next(ofType('result'))).toMatchObject({ id: 'after-pause' });
      expect(server.log.events('inbound_paused')).toHaveLength(1);
      client.socket.close();
    } finally {
      await server.stop();
    }
  });

  // Both below write their 200 frames in one TCP write, so the server reads them together: a
  // peer whose frames arrive spread out is simply paused and read at the budget's pace, never
  // closed, which is the point of pausing.
  it('closes a peer that runs more than 10 s of budget into debt with 1008', async () => {
    const server = await ServerProcess.start({ INBOUND_FRAMES_PER_SEC: '10' });
    try {
      // 20 of burst, then more than 10 s × 10/s of debt.
      const received = await burstUntilClosed(
        server.port,
        Array.from({ length: 200 }, () => clientTextFrame('{"type":"ack","seq":0}')),
      );
      expect(received.includes(CLOSED_FOR_ABUSE)).toBe(true);
      expect(received.includes('"code":"RATE_LIMITED"')).toBe(true);
      await server.expectEvent('inbound_abused');
    } finally {
      await server.stop();
    }
  });

  it.each([
    ['pings', clientPingFrame, 'ping'],
    ['unsolicited pongs', clientPongFrame, 'pong'],
  ])('counts %s against the budget and in the metrics', async (_kind, frame, type) => {
    const server = await ServerProcess.start({ INBOUND_FRAMES_PER_SEC: '10' });
    try {
      const received = await burstUntilClosed(
        server.port,
        Array.from({ length: 200 }, () => frame()),
      );
      expect(received.includes(CLOSED_FOR_ABUSE)).toBe(true);
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      // Read until the peer was closed: the burst of 20, then more than 10 s of debt.
      const counted = Number(new RegExp(`^graceful_frames_received_total\\{type="${type}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
      expect(counted).toBeGreaterThan(120);
    } finally {
      await server.stop();
    }
  });
});

describe('server stored history (memory backend)', () => {
  it('holds a flood of 60 KB entries to fresh channel names within HISTORY_MAX_BYTES, and a normal publisher keeps publishing', async () => {
    const budget = 8 * 1024 * 1024;
    const server = await ServerProcess.start({
      DATA_INTERVAL_MS: '3600000',
      HISTORY_MAX_BYTES: String(budget),
      INBOUND_BYTES_PER_SEC: String(64 * 1024 * 1024),
    });
    try {
      const flooder = await FrameRecorder.json(server.wsUrl);
      const normal = await FrameRecorder.json(server.wsUrl);
      await Promise.all([flooder.next(ofType('hello')), normal.next(ofType('hello'))]);
      await floodFreshNames(flooder, normal);
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      const value = (name: string): number => Number(new RegExp(`^graceful_${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
      expect(value('stream_history_bytes')).toBeLessThanOrEqual(budget);
      // About 8 MiB of 60 KB entries kept (~139 of the 306), the rest evicted with their channels.
      expect(value('stream_history_evicted_total')).toBeGreaterThan(150);
      expect(value('stream_history_channels')).toBeLessThan(150);
    } finally {
      await server.stop();
    }
  });
});

describe('server history replay', () => {
  // 300 entries of 60 KB (18 MB) replayed to a reader taking 2 MB/s: 9 s of reading.
  it('paces a replay by the socket: a subscriber reading at 2 MB/s gets a 300 × 60 KB history without being cut', async () => {
    const server = await ServerProcess.start({ DATA_INTERVAL_MS: '3600000', INBOUND_BYTES_PER_SEC: String(64 * 1024 * 1024) });
    try {
      const publisher = await FrameRecorder.json(server.wsUrl);
      await publisher.next(ofType('hello'));
      publisher.send({ type: 'subscribe', channel: 'big' });
      const { epoch } = await publisher.next(ofType('subscribed'));
      // Subscribed only to learn the epoch: left at once, so the server does not send the 18 MB
      // back to a test process that may be slow to read them under load (and cut it for that).
      publisher.send({ type: 'unsubscribe', channel: 'big' });
      const payload = { data: 'x'.repeat(60_000) };
      for (let batch = 0; batch < 3; batch++) {
        for (let index = 1; index <= 100; index++) publisher.send({ type: 'publish', id: `b${batch}-${index}`, channel: 'big', payload });
        for (let index = 1; index <= 100; index++) await publisher.next(ofType('published'));
      }
      publisher.socket.terminate();

      const reader = await rawUpgrade(server.port, SUBPROTOCOL);
      const bytesPerSec = 2 * 1024 * 1024;
      const startedAt = performance.now();
      let received = 0;
      let tail = '';
      const last = new Promise<void>((resolve, reject) => {
        reader.on('data', (chunk: Buffer) => {
          received += chunk.length;
          // The last entry's frame (a marker split across two chunks is still found).
          const text = tail + chunk.toString('latin1');
          if (text.includes('"offset":300,')) resolve();
          tail = text.slice(-32);
          const aheadMs = (received / bytesPerSec) * 1000 - (performance.now() - startedAt);
          if (aheadMs > 0) {
            reader.pause();
            setTimeout(() => reader.resume(), aheadMs);
          }
        });
        reader.once('close', () => reject(new Error(`cut after ${received} bytes`)));
      });
      reader.write(clientTextFrame(JSON.stringify({ type: 'subscribe', channel: 'big', since: { epoch, offset: 0 } })));
      reader.resume();
      await last;
      expect(server.log.events('slow_consumer')).toEqual([]);
      reader.destroy();
    } finally {
      await server.stop();
    }
  }, 60_000);
});

/** Paces a loop that plays an attack at its rate (a load generator's clock, not a wait for a condition). */
function delayUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));
}

describe('server replay budget', () => {
  it('charges replays to the connection: re-subscribing from the start 10 times a second replays no more than REPLAY_BYTES_PER_SEC allows', async () => {
    const server = await ServerProcess.start({
      DATA_INTERVAL_MS: '3600000',
      INBOUND_BYTES_PER_SEC: String(64 * 1024 * 1024),
      REPLAY_BYTES_PER_SEC: String(1024 * 1024),
      REPLAY_PAGE_SIZE: '10',
    });
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      client.send({ type: 'subscribe', channel: 'amp' });
      const { epoch } = await client.next(ofType('subscribed'));
      const payload = { data: 'x'.repeat(60_000) };
      for (let index = 1; index <= 100; index++) client.send({ type: 'publish', id: `a${index}`, channel: 'amp', payload });
      for (let index = 1; index <= 100; index++) await client.next(ofType('published'));
      const metricValue = async (): Promise<number> =>
        Number(/^graceful_stream_replayed_bytes_total ([\d.e+]+)$/m.exec(await (await fetch(`${server.httpUrl}/metrics`)).text())?.[1]);
      const before = await metricValue();
      // 30 re-subscribes from offset 0 of a 6 MB history over 3 s: 180 MB of replay asked for.
      const startedAt = performance.now();
      for (let round = 0; round < 30; round++) {
        client.send({ type: 'subscribe', channel: 'amp', since: { epoch, offset: 0 } });
        await client.next(ofType('subscribed'));
        await delayUntil(startedAt + (round + 1) * 100);
      }
      const replayed = (await metricValue()) - before;
      // Burst (2 s) + 3 s at 1 MiB/s + one 600 KB page begun in debt, with room to spare.
      expect(replayed).toBeLessThan(8 * 1024 * 1024);
      expect(replayed).toBeGreaterThan(1024 * 1024);
      client.socket.terminate();
    } finally {
      await server.stop();
    }
  });
});

describe('server HTTP hygiene', () => {
  it('answers a request pipelined before an upgrade and then ends the connection: no response lands inside a WebSocket stream', async () => {
    const server = await ServerProcess.start();
    try {
      const socket = connect(server.port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      const closed = once(socket, 'close');
      // Both in one write: the upgrade arrives while the health check is still being answered.
      socket.write(
        `GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n${upgradeRequest(server.port, { subprotocol: SUBPROTOCOL })}`,
      );
      await closed;
      // Not "101 Switching Protocols" followed by the health check's response as WebSocket bytes.
      expect(text.split('\r\n').filter((line) => line.startsWith('HTTP/1.1 '))).toEqual(['HTTP/1.1 200 OK']);
    } finally {
      await server.stop();
    }
  });

  it('sends no framework banner', async () => {
    const server = await ServerProcess.start();
    try {
      const response = await fetch(`${server.httpUrl}/health/live`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-powered-by')).toBeNull();
    } finally {
      await server.stop();
    }
  });
});

describe('server connection and in-flight caps', () => {
  it('refuses upgrades over MAX_CONNECTIONS with 503 and Retry-After, and takes them again once one leaves', async () => {
    const server = await ServerProcess.start({ MAX_CONNECTIONS: '2', LOG_LEVEL: 'debug' });
    try {
      const first = await FrameRecorder.json(server.wsUrl);
      await FrameRecorder.json(server.wsUrl);
      const refused = await httpExchange(server.port, upgradeRequest(server.port, { subprotocol: SUBPROTOCOL }));
      expect(refused).toMatch(/^HTTP\/1.1 503 Service Unavailable\r\n/);
      expect(refused).toMatch(/\r\nRetry-After: 5\r\n/);
      await server.expectEvent('upgrade_refused', ({ status, reason }) => status === 503 && reason === 'connection limit (2) reached');
      first.socket.close();
      await first.closed;
      await server.expectEvent('client_disconnected');
      const third = await FrameRecorder.json(server.wsUrl);
      expect(await third.next()).toMatchObject({ type: 'hello' });
    } finally {
      await server.stop();
    }
  });

  it('answers TOO_MANY_IN_FLIGHT for work over MAX_IN_FLIGHT and still answers the rest', async () => {
    const server = await ServerProcess.start({ MAX_IN_FLIGHT: '2' });
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      for (const id of ['a', 'b', 'c']) client.send({ type: 'request', id, payload: { workMs: 300 } });
      expect(await client.next(ofType('error'))).toMatchObject({ code: 'TOO_MANY_IN_FLIGHT', id: 'c' });
      expect([(await client.next(ofType('result'))).id, (await client.next(ofType('result'))).id].sort()).toEqual(['a', 'b']);
      client.send({ type: 'request', id: 'c', payload: {} });
      expect(await client.next(ofType('result'))).toMatchObject({ id: 'c' });
      client.socket.close();
    } finally {
      await server.stop();
    }
  });
});

describe('server HTTP edge', () => {
  it('refuses an upgrade offering only subprotocols it does not speak with 400 naming them, instead of answering in the text dialect', async () => {
    const server = await ServerProcess.start();
    try {
      const answer = await httpExchange(server.port, upgradeRequest(server.port, { subprotocol: 'mqtt, graceful.v3' }));
      expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
      expect(answer).toContain(
        'unsupported subprotocol mqtt, graceful.v3; this server speaks graceful.v2, graceful.v1 (or none, for the original text dialect)',
      );
      // Offered among others, the newest JSON version offered is chosen, whatever the order; offering none is the text dialect.
      expect(await httpExchange(server.port, upgradeRequest(server.port, { subprotocol: `mqtt, ${SUBPROTOCOL}` }))).toMatch(
        /^HTTP\/1.1 101 .*\r\n[^]*Sec-WebSocket-Protocol: graceful.v2\r\n/i,
      );
      expect(await httpExchange(server.port, upgradeRequest(server.port, { subprotocol: 'graceful.v1, graceful.v2' }))).toMatch(
        /^HTTP\/1.1 101 .*\r\n[^]*Sec-WebSocket-Protocol: graceful.v2\r\n/i,
      );
      expect(await httpExchange(server.port, upgradeRequest(server.port, { subprotocol: 'graceful.v1' }))).toMatch(
        /^HTTP\/1.1 101 .*\r\n[^]*Sec-WebSocket-Protocol: graceful.v1\r\n/i,
      );
    } finally {
      await server.stop();
    }
  });

  it('answers an upgrade on a path it does not serve with 404', async () => {
    const server = await ServerProcess.start();
    try {
      expect(await httpExchange(server.port, upgradeRequest(server.port, { path: '/nope', subprotocol: SUBPROTOCOL }))).toMatch(
        /^HTTP\/1.1 404 Not Found\r\n/,
      );
    } finally {
      await server.stop();
    }
  });

  it("listens with a backlog of LISTEN_BACKLOG (ss shows it as the listening socket's Send-Q)", async () => {
    const server = await ServerProcess.start({ LISTEN_BACKLOG: '1234' });
    try {
      const listening = execFileSync('ss', ['-ltnH', `sport = :${server.port}`], { encoding: 'utf8' });
      expect(listening.trim().split(/\s+/).slice(0, 3)).toEqual(['LISTEN', '0', '1234']);
    } finally {
      await server.stop();
    }
  });

  it('closes a connection whose headers do not arrive within HTTP_HEADERS_TIMEOUT_MS', async () => {
    const server = await ServerProcess.start({ HTTP_HEADERS_TIMEOUT_MS: '500' });
    try {
      const socket = connect(server.port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`);
      await new Promise((resolve) => socket.once('close', resolve));
      expect(answer).toMatch(/^HTTP\/1.1 408 Request Timeout\r\n/);
    } finally {
      await server.stop();
    }
  });

  it('answers every upgrade with 503 from SIGTERM until exit, on new connections and on keep-alive ones, while health checks answer', async () => {
    const server = await ServerProcess.start({ DRAIN_TIMEOUT_MS: '20000' });
    try {
      // A client that never acks the close marker keeps the drain (and the process) going.
      const lingering = await FrameRecorder.json(server.wsUrl);
      await lingering.next(ofType('hello'));
      const keptAlive = connect(server.port, '127.0.0.1');
      expect(await httpExchange(server.port, `GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n`, keptAlive)).toMatch(/^HTTP\/1.1 200/);

      server.signal('SIGTERM');
      await lingering.next(ofType('close'));
      await server.expectEvent('drain_final_data');
      expect(await httpExchange(server.port, upgradeRequest(server.port, { subprotocol: SUBPROTOCOL }), keptAlive)).toMatch(
        /^HTTP\/1.1 503 Service Unavailable\r\n/,
      );
      for (let attempt = 0; attempt < 5; attempt++) {
        expect(await httpExchange(server.port, upgradeRequest(server.port, { subprotocol: SUBPROTOCOL }))).toMatch(
          /^HTTP\/1.1 503 Service Unavailable\r\n/,
        );
      }
      expect((await fetch(`${server.httpUrl}/health/ready`)).status).toBe(503);
      expect((await fetch(`${server.httpUrl}/health/live`)).status).toBe(200);

      lingering.send({ type: 'ack', seq: lingering.frames.find(ofType('close'))?.lastSeq });
      expect(await lingering.closed).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server draining' });
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      await server.stop();
    }
  });
});

describe('server after the close marker', () => {
  it('answers DRAINING to work sent after the marker; what arrives after its close frame is logged as not taken', async () => {
    const server = await ServerProcess.start({ LOG_LEVEL: 'debug' });
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      server.signal('SIGTERM');
      const marker = await client.next(ofType('close'));
      client.send({ type: 'request', id: 'after-marker', payload: {} });
      expect(await client.next(ofType('error'))).toMatchObject({ code: 'DRAINING', id: 'after-marker' });
      // Ack and a request back to back: the request is refused if it is read before the close
      // frame goes out, or logged as not taken after it — never silently dropped.
      client.send({ type: 'ack', seq: marker.lastSeq });
      client.send({ type: 'request', id: 'with-the-ack', payload: {} });
      expect(await client.closed).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server draining' });
      await server.exited;
      const refused = client.frames.some((frame) => frame.type === 'error' && frame.id === 'with-the-ack');
      const logged = server.log.events('frame_after_close').length === 1;
      expect(refused !== logged).toBe(true);
      expect(client.frames.some((frame) => frame.type === 'result')).toBe(false);
    } finally {
      await server.stop();
    }
  });
});

describe('server log lines about peers', () => {
  it('logs the first bad frame of a kind and counts the rest, escaping control characters', async () => {
    const server = await ServerProcess.start();
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      for (let i = 0; i < 50; i++) client.send('{"type":"evil\\n[Nest] 1 - fake line \\u001b[31m"}');
      for (let i = 0; i < 50; i++) await client.next(ofType('error'));
      client.socket.close();
      await server.expectEvent('log_suppressed', ({ kind, count }) => kind === 'rejected UNKNOWN_TYPE' && count === 49);
      const rejected = server.log.events('frame_rejected');
      expect(rejected).toHaveLength(1);
      expect(server.log.lines.some((line) => !line.startsWith('{'))).toBe(false);
      expect(rejected[0]?.reason).toContain('\\u000a[Nest] 1 - fake line \\u001b[31m');
    } finally {
      await server.stop();
    }
  });

  it('escapes what a text-dialect peer sends before logging it', async () => {
    const server = await ServerProcess.start();
    try {
      const client = await FrameRecorder.text(server.wsUrl);
      client.send('first line\r\nsecond line\u001b[2J');
      const { text } = await server.expectEvent('peer_text');
      expect(text).toBe('first line\\u000d\\u000asecond line\\u001b[2J');
      client.socket.close();
    } finally {
      await server.stop();
    }
  });
});
