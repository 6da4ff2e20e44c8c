import { ClientProcess, frameStep, ServerProcess, step, TcpForwarder } from '@app/standin';
import { expectInOrder } from './support/expect-in-order.js';

/** Two replicas behind one Service address, as the client sees them in Kubernetes. */
async function twoReplicas(env: Record<string, string> = {}) {
  const [a, b] = await Promise.all([
    ServerProcess.start({ SERVER_ID: 'server-a', LOG_LEVEL: 'debug', ...env }),
    ServerProcess.start({ SERVER_ID: 'server-b', LOG_LEVEL: 'debug', ...env }),
  ]);
  const service = new TcpForwarder();
  const port = await service.listen();
  service.addEndpoint({ id: 'server-a', host: '127.0.0.1', port: a.port });
  service.addEndpoint({ id: 'server-b', host: '127.0.0.1', port: b.port });
  return { a, b, service, url: `ws://127.0.0.1:${port}/ws` };
}

/** Resolves with the replica that holds `count` connections, once some replica does. */
function holder(service: TcpForwarder, count: number): Promise<string> {
  return new Promise((resolve) => {
    const check = (): void => {
      for (const [id, active] of service.activeConnections()) {
        if (active === count) {
          service.off('connected', check);
          resolve(id);
          return;
        }
      }
    };
    service.on('connected', check);
    check();
  });
}

const fastClient = {
  REQUEST_INTERVAL_MS: '50',
  WORK_MS: '100',
  ACK_INTERVAL_MS: '20',
  RECONNECT_BASE_MS: '20',
  RECONNECT_MAX_MS: '500',
};

describe('client across a drained replica', () => {
  let cluster: Awaited<ReturnType<typeof twoReplicas>>;
  let client: ClientProcess | undefined;

  beforeEach(async () => {
    cluster = await twoReplicas({ DATA_INTERVAL_MS: '20' });
  });
  afterEach(async () => {
    await client?.kill();
    await Promise.all([cluster.a.stop(), cluster.b.stop()]);
    await cluster.service.close();
  });

  it('logs the seed sequence, reconnects to the other replica and loses nothing', async () => {
    client = ClientProcess.spawn({ SERVER_URL: cluster.url, ...fastClient });
    const drained = await holder(cluster.service, 1);
    const [victim, survivor] = drained === 'server-a' ? [cluster.a, cluster.b] : [cluster.b, cluster.a];
    const survivorId = drained === 'server-a' ? 'server-b' : 'server-a';
    await client.expectFrame(({ type }) => type === 'result');

    cluster.service.removeEndpoint(drained);
    victim.signal('SIGTERM');
    expect(await victim.exited).toEqual({ code: 0, signal: null });
    await client.expectResultFrom(survivorId);
    await survivor.expectEvent('client_connected');

    const summary = await client.finish();
    // The original program's sequence, as events: each of its log lines has one.
    expectInOrder(client.log, [
      frameStep('shutdown', ({ type }) => type === 'shutdown'),
      step('drain_notice_received'),
      frameStep('final data', ({ type, final }) => type === 'data' && final === true),
      frameStep('close', ({ type }) => type === 'close'),
      step('drain_marker_received'),
      step('connection_ended', ({ how }) => how === 'drain'),
      step('reconnect_scheduled', ({ delayMs, attempt }) => delayMs === 0 && attempt === undefined, 'reconnect_scheduled at once'),
      step('client_connecting'),
    ]);
    expect(client.log.events('reconnect_scheduled')).toHaveLength(1);

    expect(summary.connections).toBe(2);
    expect(summary.reconnects).toBe(1);
    expect(summary.reconnectGapMs.afterDrain.count).toBe(1);
    expect(summary.reconnectGapMs.afterFailure.count).toBe(0);
    expect(summary.frames.seqGaps).toBe(0);
    const requests = summary.requests!;
    expect(requests.created).toBeGreaterThan(0);
    expect(requests.outstanding).toBe(0);
    expect(requests.created).toBe(requests.completed + requests.outstanding);
    expect(requests.duplicates).toBe(0);
    expect(requests.refused).toBe(0);
  });

  it('re-sends the unanswered requests after a SIGKILL and loses none', async () => {
    client = ClientProcess.spawn({ SERVER_URL: cluster.url, ...fastClient, WORK_MS: '400' });
    const killed = await holder(cluster.service, 1);
    const [victim, survivor] = killed === 'server-a' ? [cluster.a, cluster.b] : [cluster.b, cluster.a];
    await client.expectFrame(({ type }) => type === 'result');

    cluster.service.removeEndpoint(killed);
    await victim.kill();
    await client.expectEvent('connection_ended', ({ how, error }) => how === 'failure' && error?.startsWith('closed with 1006') === true);
    await survivor.expectEvent('client_connected');
    await client.expectEvent('reconnect_scheduled', ({ attempt }) => attempt === 1);

    const summary = await client.finish();
    const requests = summary.requests!;
    expect(summary.reconnectGapMs.afterFailure.count).toBe(1);
    expect(requests.resent).toBeGreaterThan(0);
    expect(requests.outstanding).toBe(0);
    expect(requests.completed).toBe(requests.created);
    expect(requests.duplicates).toBe(0);
  });

  it('moves 200 virtual clients off a drained replica without loss', async () => {
    client = ClientProcess.spawn({
      SERVER_URL: cluster.url,
      ...fastClient,
      CLIENTS: '200',
      REQUEST_INTERVAL_MS: '500',
      STATS_INTERVAL_MS: '200',
    });
    await new Promise<void>((resolve) => {
      const check = (): void => {
        const total = [...cluster.service.activeConnections().values()].reduce((sum, n) => sum + n, 0);
        if (total === 200) resolve();
      };
      cluster.service.on('connected', check);
    });
    await client.allConnected(200);
    cluster.service.removeEndpoint('server-a');
    cluster.a.signal('SIGTERM');
    expect(await cluster.a.exited).toEqual({ code: 0, signal: null });
    const moved = cluster.a.expectEvent('drain_complete');
    await client.allConnected(200, client.log.lines.length);
    expect(cluster.service.activeConnections().get('server-b')).toBe(200);

    const summary = await client.finish();
    const drainedCount = (await moved).clients;
    expect(drainedCount).toBeGreaterThan(0);
    expect(summary.reconnects).toBe(drainedCount);
    expect(summary.reconnectGapMs.afterDrain.count).toBe(drainedCount);
    expect(summary.frames.seqGaps).toBe(0);
    const requests = summary.requests!;
    expect(requests.outstanding).toBe(0);
    expect(requests.completed).toBe(requests.created);
    expect(requests.duplicates).toBe(0);
  });
});
