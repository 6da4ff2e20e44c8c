import { ClientProcess, ServerProcess, TcpForwarder } from '@app/standin';
import { scrape } from './support/prometheus.js';

describe('client metrics', () => {
  it('serves /metrics on METRICS_PORT with its loss counters and the reconnect gap of a drain', async () => {
    const a = await ServerProcess.start({ SERVER_ID: 'server-a', DATA_INTERVAL_MS: '20' });
    let b: ServerProcess | undefined;
    const service = new TcpForwarder();
    const port = await service.listen();
    service.addEndpoint({ id: 'server-a', host: '127.0.0.1', port: a.port });
    const client = ClientProcess.spawn({
      SERVER_URL: `ws://127.0.0.1:${port}/ws`,
      METRICS_PORT: '0',
      REQUEST_INTERVAL_MS: '50',
      WORK_MS: '20',
      ACK_INTERVAL_MS: '20',
    });
    try {
      const metricsUrl = `http://127.0.0.1:${(await client.expectEvent('client_metrics_listening')).port}/metrics`;
      await client.expectFrame(({ type }) => type === 'result');
      const before = await scrape(metricsUrl);
      expect(before.get('graceful_client_virtual_clients')).toBe(1);
      expect(before.get('graceful_client_connected')).toBe(1);
      expect(before.get('graceful_client_connections_total')).toBe(1);
      expect(before.get('graceful_client_requests_completed_total')).toBeGreaterThan(0);
      expect(before.get('graceful_client_seq_gaps_total')).toBe(0);
      expect(before.get('graceful_client_process_resident_memory_bytes')).toBeGreaterThan(0);

      // A drain moves the client to the other replica: one gap, counted as after a drain.
      b = await ServerProcess.start({ SERVER_ID: 'server-b', DATA_INTERVAL_MS: '20', LOG_LEVEL: 'debug' });
      service.addEndpoint({ id: 'server-b', host: '127.0.0.1', port: b.port });
      service.removeEndpoint('server-a');
      a.signal('SIGTERM');
      await b.expectEvent('client_connected');
      await client.expectResultFrom('server-b');
      const after = await scrape(metricsUrl);
      expect(after.get('graceful_client_reconnects_total')).toBe(1);
      expect(after.get('graceful_client_reconnect_gap_seconds_count{after="drain"}')).toBe(1);
      expect(after.get('graceful_client_reconnect_gap_seconds_count{after="failure"}')).toBe(0);
      expect(after.get('graceful_client_seq_gaps_total')).toBe(0);
      expect(after.get('graceful_client_requests_created_total')).toBeGreaterThanOrEqual(
        before.get('graceful_client_requests_created_total')!,
      );

      expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
      // The summary at exit and the last scrape count the same way.
      const summary = await client.finish();
      expect(summary.reconnects).toBe(after.get('graceful_client_reconnects_total'));
      expect(summary.frames.seqGaps).toBe(0);
    } finally {
      await client.kill();
      await Promise.all([a.stop(), b?.stop()]);
      await service.close();
    }
  });
});
