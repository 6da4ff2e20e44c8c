import { connect } from 'node:net';
import { FrameRecorder, ofType } from './support/frame-recorder.js';
import { upgradeRequest } from './support/raw-upgrade.js';
import { ServerProcess } from './support/server-process.js';

/** `name{labels} value` lines of a Prometheus text exposition, as a map. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

async function scrape(server: ServerProcess): Promise<Map<string, number>> {
  const response = await fetch(`${server.httpUrl}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return samples(await response.text());
}

describe('server metrics', () => {
  it('serves /metrics with process metrics and the service own, prefixed graceful_', async () => {
    const server = await ServerProcess.start({ DATA_INTERVAL_MS: '60000' });
    try {
      const client = await FrameRecorder.json(server.wsUrl);
      await client.next(ofType('hello'));
      client.send({ type: 'request', id: 'one', payload: { workMs: 10 } });
      await client.next(ofType('result'));
      client.send('{not json');
      await client.next(ofType('error'));
      const bad = connect(server.port, '127.0.0.1');
      bad.write(upgradeRequest(server.port, { path: '/nope' }));
      await new Promise((resolve) => bad.once('close', resolve).resume());

      const metrics = await scrape(server);
      expect(metrics.get('graceful_connections{dialect="json"}')).toBe(1);
      expect(metrics.get('graceful_upgrades_total{outcome="accepted"}')).toBe(1);
      expect(metrics.get('graceful_upgrades_total{outcome="bad_path"}')).toBe(1);
      expect(metrics.get('graceful_frames_received_total{type="request"}')).toBe(1);
      expect(metrics.get('graceful_frames_received_total{type="invalid"}')).toBe(1);
      expect(metrics.get('graceful_frames_rejected_total{code="BAD_JSON"}')).toBe(1);
      expect(metrics.get('graceful_frames_sent_total{type="hello"}')).toBe(1);
      expect(metrics.get('graceful_frames_sent_total{type="result"}')).toBe(1);
      expect(metrics.get('graceful_requests_in_flight')).toBe(0);
      expect(metrics.get('graceful_request_duration_seconds_count')).toBe(1);
      expect(metrics.get('graceful_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(metrics.get('graceful_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
      // No label that grows with clients: nothing names a peer, a session or a request.
      expect([...metrics.keys()].some((key) => /peer|session|127\.0\.0\.1|"one"/.test(key))).toBe(false);

      client.socket.close();
      await server.expectLine(/Client disconnected/);
      expect((await scrape(server)).get('graceful_connections{dialect="json"}')).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
