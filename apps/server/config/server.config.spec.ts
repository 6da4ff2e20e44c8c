import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { AppModule } from '../app.module.js';
import { ConfigError } from '@app/env';
import { readServerSettings } from './server.config.js';

describe('readServerSettings', () => {
  it('applies the documented defaults', () => {
    expect(readServerSettings({ SERVER_ID: 'pod-a' })).toEqual({
      port: 8080,
      serverId: 'pod-a',
      dataIntervalMs: 2000,
      finalDataItems: 2,
      maxWorkMs: 10_000,
      heartbeatMs: 25_000,
      shutdownDelayMs: 0,
      drainTimeoutMs: 20_000,
      maxPayloadBytes: 65_536,
      maxBufferedBytes: 1_048_576,
      streams: {
        backend: 'memory',
        redisUrl: undefined,
        redisTimeoutMs: 2000,
        historySize: 1000,
        historyTtlMs: 86_400_000,
        dedupTtlMs: 600_000,
        maxSubscriptions: 100,
        replayPageSize: 100,
      },
      logLevel: 'log',
    });
  });

  it('requires REDIS_URL for the redis backend, and never echoes it (it may hold a password)', () => {
    expect(() => readServerSettings({ STREAM_BACKEND: 'redis' })).toThrow(
      new ConfigError('Invalid configuration: REDIS_URL is required when STREAM_BACKEND is redis (redis:// or rediss:// URL)'),
    );
    expect(() => readServerSettings({ STREAM_BACKEND: 'redis', REDIS_URL: 'http://user:hunter2@cache:6379' })).toThrow(
      new ConfigError('Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL'),
    );
    expect(readServerSettings({ STREAM_BACKEND: 'redis', REDIS_URL: 'rediss://cache:6380' }).streams).toMatchObject({ backend: 'redis', redisUrl: 'rediss://cache:6380' });
  });

  it('defaults SERVER_ID to the host name, which is the pod name in Kubernetes', async () => {
    const { hostname } = await import('node:os');
    expect(readServerSettings({}).serverId).toBe(hostname());
  });

  it('treats an empty value as unset', () => {
    expect(readServerSettings({ PORT: '' }).port).toBe(8080);
  });

  it('names every bad variable and its range in one error', () => {
    expect(() => readServerSettings({ PORT: '-1', HEARTBEAT_MS: '5s' })).toThrow(
      new ConfigError(
        'Invalid configuration: PORT must be an integer from 0 to 65535 (got "-1"); ' +
          'HEARTBEAT_MS must be an integer from 100 to 3600000 (got "5s")',
      ),
    );
  });
});

describe('AppModule', () => {
  const savedEnv = { ...process.env };
  afterEach(() => {
    process.env = savedEnv;
  });

  it('refuses to compile with an invalid environment', async () => {
    process.env = { ...savedEnv, DRAIN_TIMEOUT_MS: 'soon' };
    await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(
      'DRAIN_TIMEOUT_MS must be an integer from 1 to 3600000 (got "soon")',
    );
  });
});
