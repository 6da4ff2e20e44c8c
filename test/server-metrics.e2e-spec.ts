import { connect } from 'node:net';
import { RedisServer, ServerProcess } from '@app/standin';
import { ErrorCode } from '@app/protocol';
import { FrameRecorder, ofType } from './support/frame-recorder.js';
import { scrape } from './support/prometheus.js';
import { upgradeRequest } from './support/raw-upgrade.js';

describe('server metrics', () => {
  it('serves /metrics with process metrics and the service own, prefixed graceful_', async () => {
    const server = await ServerProcess.start({ DATA_INTERVAL_MS: '60000', LOG_LEVEL: 'debug' });
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

      const metrics = await scrape(`${server.httpUrl}/metrics`);
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
      await server.expectEvent('client_disconnected');
      expect((await scrape(`${server.httpUrl}/metrics`)).get('graceful_connections{dialect="json"}')).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('reports publishes, fan-out lag, backend errors and whether the stream backend is up', async () => {
    const redis = await RedisServer.start();
    let server: ServerProcess | undefined;
    try {
      server = await ServerProcess.start({
        STREAM_BACKEND: 'redis',
        REDIS_URL: redis.url,
        DATA_INTERVAL_MS: '3600000',
        REDIS_TIMEOUT_MS: '300',
      });
      // Two sockets: over Redis a subscriber's message and a publisher's answer come by different connections, in either order.
      const [client, subscriber] = await Promise.all([FrameRecorder.json(server.wsUrl), FrameRecorder.json(server.wsUrl)]);
      subscriber.send({ type: 'subscribe', channel: 'orders' });
      await subscriber.next(ofType('subscribed'));
      client.send({ type: 'publish', id: 'p1', channel: 'orders', payload: {} });
      await client.next(ofType('published'));
      await subscriber.next(ofType('message'));
      client.send({ type: 'publish', id: 'p1', channel: 'orders', payload: {} });
      await client.next(ofType('published'));

      const up = await scrape(`${server.httpUrl}/metrics`);
      expect(up.get('graceful_stream_backend_up')).toBe(1);
      expect(up.get('graceful_stream_publish_duration_seconds_count{outcome="appended"}')).toBe(1);
      expect(up.get('graceful_stream_publish_duration_seconds_count{outcome="duplicate"}')).toBe(1);
      expect(up.get('graceful_stream_fanout_lag_seconds_count')).toBe(1);

      await redis.stop();
      await server.expectEvent('backend_down');
      client.send({ type: 'publish', id: 'p2', channel: 'orders', payload: {} });
      expect(await client.next(ofType('error'))).toMatchObject({ code: ErrorCode.UNAVAILABLE, id: 'p2' });
      const down = await scrape(`${server.httpUrl}/metrics`);
      expect(down.get('graceful_stream_backend_up')).toBe(0);
      expect(down.get('graceful_stream_backend_errors_total{operation="append"}')).toBe(1);
      expect(down.get('graceful_stream_publish_duration_seconds_count{outcome="unavailable"}')).toBe(1);
      // One series per channel would grow without bound: no metric names a channel.
      expect([...down.keys()].some((key) => key.includes('orders'))).toBe(false);
      client.socket.terminate();
      subscriber.socket.terminate();
    } finally {
      await server?.stop();
      await redis.stop();
    }
  });
});
