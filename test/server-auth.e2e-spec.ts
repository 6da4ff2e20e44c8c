import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameRecorder, ofType } from './support/frame-recorder.js';
import { refusedUpgrade } from './support/raw-upgrade.js';
import { ServerProcess } from '@app/standin';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long';

function hs256(claims: { sub?: string; exp?: number | string } = {}, secret = SECRET): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  jwt.setExpirationTime(claims.exp ?? '5m');
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('server authentication with an HS256 secret', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start({ AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'debug' });
  });
  afterAll(() => server.stop());

  it('refuses an upgrade without a token with 401 and a Bearer challenge', async () => {
    expect(await refusedUpgrade(server.wsUrl)).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer realm="ws"' } });
  });

  it.each([
    ['signed with another secret', () => hs256({ sub: 'mallory' }, 'another-secret-that-is-32-bytes-long!!')],
    ['expired', () => hs256({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60 })],
    ['not a JWT', () => Promise.resolve('not-a-token')],
  ])('refuses a token %s with 401 invalid_token', async (_case, token) => {
    const refused = await refusedUpgrade(server.wsUrl, { headers: { Authorization: `Bearer ${await token()}` } });
    expect(refused).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer realm="ws", error="invalid_token"' } });
  });

  it('accepts a valid token from the Authorization header and logs its subject', async () => {
    const client = await FrameRecorder.json(server.wsUrl, { headers: { Authorization: `Bearer ${await hs256({ sub: 'alice' })}` } });
    await client.next(ofType('hello'));
    await server.expectEvent('client_connected', ({ subject }) => subject === 'alice');
    client.socket.close();
  });

  it('accepts a valid token from the access_token query parameter, which browsers can set', async () => {
    const client = await FrameRecorder.json(`${server.wsUrl}?access_token=${await hs256({ sub: 'browser-bob' })}`);
    await client.next(ofType('hello'));
    await server.expectEvent('client_connected', ({ subject }) => subject === 'browser-bob');
    client.socket.close();
  });
});

describe('server authentication with a JWKS file, and allowed origins', () => {
  let server: ServerProcess;
  let dir: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] }));
    server = await ServerProcess.start({
      LOG_LEVEL: 'debug',
      AUTH_JWKS_FILE: jwksFile,
      AUTH_JWT_AUDIENCE: 'graceful',
      ALLOWED_ORIGINS: 'https://app.example.com',
    });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const es256 = (audience: string): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('carol')
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(privateKey);

  it('accepts an ES256 token the key set verifies, with the configured audience', async () => {
    const client = await FrameRecorder.json(server.wsUrl, { headers: { Authorization: `Bearer ${await es256('graceful')}` } });
    await client.next(ofType('hello'));
    await server.expectEvent('client_connected', ({ subject }) => subject === 'carol');
    client.socket.close();
  });

  it('refuses a token for another audience with 401', async () => {
    expect(await refusedUpgrade(server.wsUrl, { headers: { Authorization: `Bearer ${await es256('elsewhere')}` } })).toMatchObject({
      status: 401,
    });
  });

  it('refuses a browser from an origin not listed with 403, before looking at its token', async () => {
    const token = await es256('graceful');
    expect(
      await refusedUpgrade(server.wsUrl, { headers: { Authorization: `Bearer ${token}` }, origin: 'https://evil.example.net' }),
    ).toMatchObject({ status: 403 });
    const client = await FrameRecorder.json(server.wsUrl, {
      headers: { Authorization: `Bearer ${token}` },
      origin: 'https://app.example.com',
    });
    await client.next(ofType('hello'));
    client.socket.close();
  });
});

describe('server with a bad auth configuration', () => {
  it('exits 1 naming the variable', async () => {
    const server = ServerProcess.spawn({ LOG_FORMAT: 'text', AUTH_JWKS_FILE: '/nonexistent/jwks.json' });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.log.lines.join('\n')).toContain('Invalid configuration: AUTH_JWKS_FILE (/nonexistent/jwks.json) cannot be read: ENOENT');
  });
});
