import { SignJWT } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientProcess, ServerProcess } from '@app/standin';

const HELLO = { type: 'hello', protocol: 1, serverId: 'hostile', sessionId: 's', heartbeatMs: 25_000, maxPayload: 65_536 };

/** A server that misbehaves as `behave` says, on every connection. */
async function hostileServer(behave: (socket: WebSocket) => void): Promise<{ url: string; wss: WebSocketServer; close: () => void }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'graceful.v1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', behave);
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    wss,
    close: () => {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
    },
  };
}

describe('client against a misbehaving server', () => {
  let client: ClientProcess | undefined;
  let server: Awaited<ReturnType<typeof hostileServer>> | undefined;
  afterEach(async () => {
    await client?.kill();
    server?.close();
    client = undefined;
    server = undefined;
  });

  it('cuts a socket whose server sent the close marker but never closes it, and backs off from such a server', async () => {
    let connections = 0;
    let firstClosed: (code: number) => void = () => undefined;
    const firstCloseCode = new Promise<number>((resolve) => (firstClosed = resolve));
    server = await hostileServer((socket) => {
      const first = ++connections === 1;
      socket.send(JSON.stringify(HELLO));
      socket.send(JSON.stringify({ type: 'close', lastSeq: 0 }));
      // Pings keep the client's silence watchdog fed: only the marker's own wait can end this.
      const pinger = setInterval(() => socket.ping(), 50);
      socket.once('close', (code) => {
        clearInterval(pinger);
        if (first) firstClosed(code);
      });
    });
    client = ClientProcess.spawn({ SERVER_URL: server.url, REQUEST_INTERVAL_MS: '0', RECONNECT_BASE_MS: '500' });
    // Cut, not closed: a server that ignores the marker's close handshake gets no more of it.
    expect(await firstCloseCode).toBe(1006);
    // Every connection ended within moments of its hello, so from the second on each wait doubled
    // (full jitter under 0.5 s, 1 s, 2 s, …): in the 5 s the first socket was held, a few
    // connections, not thousands (eleven waits summing under 5 s: odds below one in a million).
    expect(connections).toBeLessThan(12);
  });

  it('treats pings without a hello as unhealthy and gives up after HELLO_TIMEOUT_MS', async () => {
    server = await hostileServer((socket) => {
      const pinger = setInterval(() => socket.ping(), 20);
      socket.once('close', () => clearInterval(pinger));
    });
    client = ClientProcess.spawn({ SERVER_URL: server.url, HELLO_TIMEOUT_MS: '300' });
    await client.expectEvent('connection_ended', ({ error }) => error === 'no hello within 300 ms of the upgrade');
  });

  it('closes on a frame over MAX_SERVER_FRAME_BYTES without holding or logging it', async () => {
    server = await hostileServer((socket) => {
      socket.send(JSON.stringify(HELLO));
      socket.send(JSON.stringify({ type: 'data', seq: 1, payload: { blob: 'x'.repeat(2 * 1024 * 1024) }, final: false }));
    });
    client = ClientProcess.spawn({ SERVER_URL: server.url, MAX_SERVER_FRAME_BYTES: '1048576' });
    await client.expectEvent('connection_ended', ({ error }) => error?.startsWith('the server sent a frame over 1048576 bytes') === true);
    expect(Math.max(...client.log.lines.map((line) => line.length))).toBeLessThan(2000);
  });

  it('takes a second hello on one connection as a protocol error and reconnects', async () => {
    server = await hostileServer((socket) => {
      socket.send(JSON.stringify(HELLO));
      socket.send(JSON.stringify(HELLO));
    });
    client = ClientProcess.spawn({ SERVER_URL: server.url });
    await client.expectEvent('connection_ended', ({ error }) => error === 'protocol error: a second hello on one connection');
    await client.expectEvent('reconnect_scheduled', ({ attempt }) => attempt === 1);
  });

  it('keeps backing off when every connection dies right after hello, and clamps an absurd heartbeatMs', async () => {
    let connections = 0;
    server = await hostileServer((socket) => {
      connections++;
      // 2³¹ ms would overflow Node's timers; the next connection announces 1 ms.
      socket.send(JSON.stringify({ ...HELLO, heartbeatMs: connections % 2 === 0 ? 1 : 2 ** 31 }));
      socket.close(1011, 'going down again');
    });
    client = ClientProcess.spawn({ SERVER_URL: server.url, RECONNECT_BASE_MS: '5', RECONNECT_MAX_MS: '40' });
    await client.expectEvent('reconnect_scheduled', ({ attempt }) => attempt === 6);
    const attempts = client.log.events('reconnect_scheduled').map(({ attempt }) => attempt);
    expect(attempts.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(client.log.count(/TimeoutOverflowWarning/)).toBe(0);
  });

  it('escapes control characters in what it logs from the server', async () => {
    server = await hostileServer((socket) => {
      socket.send(JSON.stringify(HELLO));
      socket.send('\u001b[31mred\n[Nest] fake line');
    });
    client = ClientProcess.spawn({ SERVER_URL: server.url });
    const { reason, text } = await client.expectEvent('invalid_frame');
    expect(reason).toMatch(/^BAD_JSON: /);
    expect(text).toBe('\\u001b[31mred\\u000a[Nest] fake line');
    expect(client.log.count(/^\[Nest\] fake line/)).toBe(0);
  });

  it('exits 3 when requests are still unanswered at exit', async () => {
    server = await hostileServer((socket) => socket.send(JSON.stringify(HELLO)));
    client = ClientProcess.spawn({ SERVER_URL: server.url, REQUEST_INTERVAL_MS: '20', EXIT_TIMEOUT_MS: '0', STATS_INTERVAL_MS: '50' });
    await client.expectEvent('client_stats', ({ requestsCreated }) => (requestsCreated ?? 0) > 0);
    client.signal('SIGTERM');
    expect(await client.exited).toEqual({ code: 3, signal: null });
    expect(client.log.events('work_unanswered')).toEqual([expect.objectContaining({ publishes: 0 })]);
    expect(client.log.events('work_unanswered')[0]?.requests).toBeGreaterThan(0);
  });
});

describe('client with AUTH_TOKEN', () => {
  it('sends it as a Bearer token; without it the server refuses the upgrade with 401', async () => {
    const secret = 'client-test-secret-of-at-least-32-bytes';
    const server = await ServerProcess.start({ AUTH_JWT_SECRET: secret, LOG_LEVEL: 'debug' });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('fleet')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    const refused = ClientProcess.spawn({ SERVER_URL: server.wsUrl });
    const authed = ClientProcess.spawn({ SERVER_URL: server.wsUrl, AUTH_TOKEN: token, REQUEST_INTERVAL_MS: '50', WORK_MS: '0' });
    try {
      const refusal = ({ error }: { error?: string }): boolean => error?.startsWith('upgrade refused: HTTP 401') === true;
      await refused.expectEvent('connection_ended', refusal);
      await authed.expectFrame(({ type }) => type === 'result');
      await server.expectEvent('client_connected', ({ subject }) => subject === 'fleet');
      const summary = await authed.finish();
      expect(summary.requests?.completed).toBeGreaterThan(0);
      expect(summary.failedAttempts).toBe(0);
      // Every refused upgrade is a failed attempt, never a connection.
      const refusedSummary = await refused.finish();
      expect(refusedSummary).toMatchObject({ connections: 0, reconnects: 0 });
      expect(refusedSummary.failedAttempts).toBe(refused.log.events('connection_ended', refusal).length);
    } finally {
      await refused.kill();
      await authed.kill();
      await server.stop();
    }
  });
});
