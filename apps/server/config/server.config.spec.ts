import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { AppModule } from '../app.module.js';
import { ConfigError } from '@app/env';
import { SERVER_SETTINGS, readServerSettings } from './server.config.js';

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
      reconnectRatePerSec: 2000,
      maxPayloadBytes: 65_536,
      maxBufferedBytes: 1_048_576,
      streams: {
        backend: 'memory',
        redis: undefined,
        redisTimeoutMs: 2000,
        publishMinReplicas: 0,
        publishReplicaTimeoutMs: 1000,
        historySize: 1000,
        historyMaxBytes: 64 * 1024 * 1024,
        historyTtlMs: 86_400_000,
        dedupTtlMs: 600_000,
        maxSubscriptions: 100,
        replayPageSize: 100,
        replayBytesPerSec: 4 * 1024 * 1024,
      },
      limits: {
        maxConnections: 2000,
        maxInFlight: 100,
        inbound: { framesPerSec: 200, bytesPerSec: 1_048_576, burstSeconds: 2, closeAfterDebtSeconds: 10 },
        headersTimeoutMs: 10_000,
        listenBacklog: 4096,
      },
      auth: { jwt: undefined, allowedOrigins: undefined },
      logLevel: 'log',
      logFormat: 'text',
    });
  });

  it('requires one Redis topology for the redis backend, and never echoes REDIS_URL (it may hold a password)', () => {
    expect(() => readServerSettings({ STREAM_BACKEND: 'redis' })).toThrow(
      new ConfigError(
        'Invalid configuration: STREAM_BACKEND=redis needs one of REDIS_URL (redis:// or rediss:// URL), REDIS_SENTINELS + REDIS_SENTINEL_MASTER, or REDIS_CLUSTER_NODES',
      ),
    );
    expect(() => readServerSettings({ STREAM_BACKEND: 'redis', REDIS_URL: 'http://user:hunter2@cache:6379' })).toThrow(
      new ConfigError('Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL'),
    );
    expect(readServerSettings({ STREAM_BACKEND: 'redis', REDIS_URL: 'rediss://cache:6380' }).streams).toMatchObject({
      backend: 'redis',
      redis: { kind: 'standalone', url: 'rediss://cache:6380' },
    });
  });

  it('reads a Sentinel topology: the sentinels, the master name, credentials and TLS for the data nodes', () => {
    const settings = readServerSettings({
      STREAM_BACKEND: 'redis',
      REDIS_SENTINELS: 'sentinel-0.redis:26379, [fd00::1]:26379',
      REDIS_SENTINEL_MASTER: 'streams',
      REDIS_PASSWORD: 'secret',
      REDIS_TLS: 'true',
      PUBLISH_MIN_REPLICAS: '1',
      PUBLISH_REPLICA_TIMEOUT_MS: '500',
    });
    expect(settings.streams).toMatchObject({
      redis: {
        kind: 'sentinel',
        sentinels: [
          { host: 'sentinel-0.redis', port: 26379 },
          { host: 'fd00::1', port: 26379 },
        ],
        masterName: 'streams',
        sentinelPassword: undefined,
        auth: { username: undefined, password: 'secret', tls: true },
      },
      publishMinReplicas: 1,
      publishReplicaTimeoutMs: 500,
    });
  });

  it('reads a Cluster topology from its seed nodes', () => {
    expect(readServerSettings({ STREAM_BACKEND: 'redis', REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1:6379' }).streams.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'redis-0', port: 6379 },
        { host: 'redis-1', port: 6379 },
      ],
      auth: { username: undefined, password: undefined, tls: false },
    });
  });

  it.each<[string, Record<string, string>, string]>([
    [
      'two topologies',
      { REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:6379' },
      'set exactly one of REDIS_URL, REDIS_SENTINELS (with REDIS_SENTINEL_MASTER) or REDIS_CLUSTER_NODES; got REDIS_URL and REDIS_CLUSTER_NODES',
    ],
    [
      'sentinels without a master name',
      { REDIS_SENTINELS: 'a:26379' },
      'REDIS_SENTINEL_MASTER (the master name Sentinel monitors) is required with REDIS_SENTINELS',
    ],
    [
      'a master name without sentinels',
      { REDIS_URL: 'redis://a:6379', REDIS_SENTINEL_MASTER: 'm' },
      'REDIS_SENTINEL_MASTER is only read with REDIS_SENTINELS',
    ],
    ['a bad node list', { REDIS_CLUSTER_NODES: 'a:6379,b' }, 'REDIS_CLUSTER_NODES must be a comma-separated list of host:port (got "b")'],
    [
      'a port out of range',
      { REDIS_SENTINELS: 'a:70000', REDIS_SENTINEL_MASTER: 'm' },
      'REDIS_SENTINELS must be a comma-separated list of host:port (got "a:70000")',
    ],
    [
      'a password beside a URL',
      { REDIS_URL: 'redis://a:6379', REDIS_PASSWORD: 'x' },
      'REDIS_USERNAME, REDIS_PASSWORD and REDIS_TLS are for Sentinel and Cluster; with REDIS_URL put them in the URL (rediss://user:password@host:port)',
    ],
  ])('refuses %s with a clear message', (_case, env, message) => {
    expect(() => readServerSettings({ STREAM_BACKEND: 'redis', ...env })).toThrow(new ConfigError(`Invalid configuration: ${message}`));
  });

  it('refuses PUBLISH_MIN_REPLICAS without Redis: there is nothing to replicate', () => {
    expect(() => readServerSettings({ PUBLISH_MIN_REPLICAS: '1' })).toThrow(
      new ConfigError('Invalid configuration: PUBLISH_MIN_REPLICAS counts Redis replicas: it needs STREAM_BACKEND=redis'),
    );
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

describe('readServerSettings: limits and auth', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'auth-settings-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string | Buffer): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('wants a byte budget that holds one frame of MAX_PAYLOAD_BYTES', () => {
    expect(() => readServerSettings({ MAX_PAYLOAD_BYTES: '65536', INBOUND_BYTES_PER_SEC: '16384' })).toThrow(
      'INBOUND_BYTES_PER_SEC (16384) × 2 s of burst must hold one frame of MAX_PAYLOAD_BYTES (65536)',
    );
  });

  it('takes an HS256 secret of at least 32 bytes and never echoes it', () => {
    expect(readServerSettings({ AUTH_JWT_SECRET: 'x'.repeat(32), AUTH_JWT_ISSUER: 'https://issuer' }).auth.jwt).toMatchObject({
      source: { kind: 'secret' },
      issuer: 'https://issuer',
      audience: undefined,
    });
    expect(() => readServerSettings({ AUTH_JWT_SECRET: 'hunter2' })).toThrow(
      new ConfigError('Invalid configuration: AUTH_JWT_SECRET must be at least 32 bytes'),
    );
  });

  it('reads an RS256 or ES256 public key file and tells which algorithm it takes', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(readServerSettings({ AUTH_JWT_PUBLIC_KEY_FILE: file('rsa.pem', rsa) }).auth.jwt?.source).toMatchObject({ algorithm: 'RS256' });
    expect(readServerSettings({ AUTH_JWT_PUBLIC_KEY_FILE: file('ec.pem', ec) }).auth.jwt?.source).toMatchObject({ algorithm: 'ES256' });
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
    expect(() => readServerSettings({ AUTH_JWT_PUBLIC_KEY_FILE: file('ed.pem', ed) })).toThrow(
      'must hold an RSA (RS256) or P-256 (ES256) public key',
    );
    expect(() => readServerSettings({ AUTH_JWT_PUBLIC_KEY_FILE: file('junk.pem', 'junk') })).toThrow('is not a PEM public key');
    expect(() => readServerSettings({ AUTH_JWT_PUBLIC_KEY_FILE: join(dir, 'missing.pem') })).toThrow('cannot be read: ENOENT');
  });

  it('reads a JWKS file, and refuses one without keys', () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    expect(readServerSettings({ AUTH_JWKS_FILE: file('jwks.json', JSON.stringify({ keys: [jwk] })) }).auth.jwt?.source).toMatchObject({
      kind: 'jwks',
    });
    expect(() => readServerSettings({ AUTH_JWKS_FILE: file('empty.json', '{"keys":[]}') })).toThrow(
      'must be a JSON Web Key Set with at least one key',
    );
  });

  it('takes one key source only', () => {
    expect(() => readServerSettings({ AUTH_JWT_SECRET: 'x'.repeat(32), AUTH_JWKS_FILE: '/nowhere' })).toThrow(
      'set only one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE, AUTH_JWKS_FILE (got AUTH_JWT_SECRET, AUTH_JWKS_FILE)',
    );
  });

  it('takes ALLOWED_ORIGINS as a comma list of exact origins', () => {
    expect(readServerSettings({ ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:3000' }).auth.allowedOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ]);
    expect(() => readServerSettings({ ALLOWED_ORIGINS: 'https://app.example.com/path' })).toThrow(
      'ALLOWED_ORIGINS must be a comma list of origins like https://app.example.com (got "https://app.example.com/path")',
    );
  });
});

describe('AppModule.forRoot', () => {
  const savedEnv = { ...process.env };
  afterEach(() => {
    process.env = savedEnv;
  });

  it('runs on the settings it is given and reads the environment no more', async () => {
    const settings = readServerSettings({ SERVER_ID: 'given', DATA_INTERVAL_MS: '60000' });
    // Nothing after the boot may trip on (or pick up) what the environment says now.
    process.env = { ...savedEnv, DRAIN_TIMEOUT_MS: 'soon', SERVER_ID: 'from-env' };
    const module = await Test.createTestingModule({ imports: [AppModule.forRoot(settings)] }).compile();
    try {
      expect(module.get(SERVER_SETTINGS)).toBe(settings);
    } finally {
      await module.close();
    }
  });
});
