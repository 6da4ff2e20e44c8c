import { jest } from '@jest/globals';
import { readClientSettings } from '../config/client.config.js';
import { StreamStats } from '../stats/stream-stats.js';
import { ClientStreams, type StreamLink } from './client-streams.js';

const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };

describe('ClientStreams', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    // The schedule's random phase and the backoff's jitter, pinned: first publish at 99 ms, then every 100 ms.
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  function setup() {
    const settings = readClientSettings({ CHANNELS: 'prices', PUBLISH_CHANNEL: 'orders', PUBLISH_INTERVAL_MS: '100', RECONNECT_BASE_MS: '50' });
    const sent: string[] = [];
    const link: StreamLink = { number: 1, send: (text) => sent.push(text) };
    const stats = new StreamStats();
    const streams = new ClientStreams('t', settings, stats, logger, () => link, jest.fn());
    return { streams, sent, link, stats };
  }

  it('subscribes on resume and publishes on schedule, re-sending on the next connection until confirmed', () => {
    const { streams, sent, link, stats } = setup();
    streams.resume(link);
    expect(sent).toEqual(['{"type":"subscribe","channel":"prices"}']);
    streams.start();
    jest.advanceTimersByTime(100);
    const publish = JSON.parse(sent.at(-1)!) as { type: string; id: string; channel: string };
    expect(publish).toMatchObject({ type: 'publish', id: 't-p1', channel: 'orders' });
    streams.resume({ number: 2, send: (text) => sent.push(text) });
    expect(sent.filter((text) => text.includes('"t-p1"'))).toHaveLength(2);
    expect(streams.onPublished({ type: 'published', seq: 1, id: 't-p1', channel: 'orders', offset: 1, duplicate: true })).toBe('ok');
    expect({ outstanding: streams.outstanding, acked: stats.publishAcked, duplicates: stats.publishDuplicates }).toEqual({ outstanding: 0, acked: 1, duplicates: 1 });
    streams.stopPublishing();
    streams.close();
  });

  it('tries an UNAVAILABLE publish and channel again after a backoff, also once publishing has stopped (a client on its way out)', () => {
    const { streams, sent } = setup();
    streams.start();
    jest.advanceTimersByTime(100);
    sent.length = 0;
    expect(streams.onRefused('UNAVAILABLE', { id: 't-p1' })).toBe(true);
    expect(streams.onRefused('UNAVAILABLE', { channel: 'prices' })).toBe(true);
    streams.stopPublishing();
    // Backoff: 0.99 × RECONNECT_BASE_MS = 49 ms.
    jest.advanceTimersByTime(49);
    expect(sent).toEqual(['{"type":"subscribe","channel":"prices"}', expect.stringContaining('"id":"t-p1"')]);
    // Stopped: the retry went out, but no new publish is created.
    jest.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
    streams.close();
  });

  it('caps the UNAVAILABLE backoff at STREAM_RETRY_MAX_MS, far below the connection backoff: a channel resumes soon after Redis is back', () => {
    const settings = readClientSettings({ CHANNELS: 'prices', RECONNECT_BASE_MS: '50', RECONNECT_MAX_MS: '10000', STREAM_RETRY_MAX_MS: '400' });
    const sent: string[] = [];
    const streams = new ClientStreams('t', settings, new StreamStats(), logger, () => ({ number: 1, send: (text) => sent.push(text) }), jest.fn());
    // Ten refusals in a row: uncapped, the eleventh wait could reach 50 × 2^10 ms.
    for (let refusal = 0; refusal < 10; refusal++) {
      streams.onRefused('UNAVAILABLE', { channel: 'prices' });
      jest.advanceTimersByTime(400);
    }
    sent.length = 0;
    streams.onRefused('UNAVAILABLE', { channel: 'prices' });
    jest.advanceTimersByTime(399);
    expect(sent).toEqual(['{"type":"subscribe","channel":"prices"}']);
    streams.close();
  });

  it('leaves refusals that are not about its channels or publishes to the caller', () => {
    const { streams } = setup();
    expect(streams.onRefused('DRAINING', { id: 'a-request' })).toBe(false);
    expect(streams.onRefused('UNAVAILABLE', { channel: 'not-mine' })).toBe(false);
    expect(streams.onPublished({ type: 'published', seq: 1, id: 'stranger', channel: 'orders', offset: 1, duplicate: false })).toBe('unknown');
  });
});
