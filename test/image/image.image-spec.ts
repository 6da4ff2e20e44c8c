import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CloseCode } from '@app/protocol';
import { ChildProgram } from '@app/standin';
import { ackCloseMarker, FrameRecorder, ofType } from '../support/frame-recorder.js';

/**
 * The Dockerfile built and run for real, with podman: the runtime stage's contents, then the
 * server container run as the manifests run it and stopped the way the kubelet stops it.
 */
const CONTAINERS_CONF = resolve('test/image/containers.conf');
const IMAGE = 'localhost/k8s-graceful-shutdown:image-test';
const env = { ...process.env, CONTAINERS_CONF };

async function podman(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('podman', args, { env, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** This machine's npm settings for the build: registry and CA, as the two build secrets the Dockerfile reads. */
async function npmSecrets(dir: string): Promise<string[]> {
  const npm = async (key: string): Promise<string> => (await promisify(execFile)('npm', ['config', 'get', key])).stdout.trim();
  const [registry, cafile] = await Promise.all([npm('registry'), npm('cafile')]);
  const lines = [`registry=${registry}`];
  const args: string[] = [];
  if (cafile !== 'null' && cafile !== 'undefined' && cafile !== '') {
    lines.push('cafile=/run/secrets/npm-ca');
    args.push('--secret', `id=npm-ca,src=${cafile}`);
  }
  const npmrc = join(dir, 'npmrc');
  writeFileSync(npmrc, `${lines.join('\n')}\n`, { mode: 0o600 });
  return ['--secret', `id=npmrc,src=${npmrc}`, ...args];
}

beforeAll(async () => {
  const base = (await promisify(execFile)(resolve('test/image/node-base.sh'), [], { env })).stdout.trim();
  const dir = mkdtempSync(join(tmpdir(), 'image-test-'));
  try {
    // Host networking for the build: npm ci reaches the registry the way this machine does.
    await podman('build', '--network=host', '--build-arg', `NODE_IMAGE=${base}`, ...(await npmSecrets(dir)), '-t', IMAGE, '.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 15 * 60_000);

describe('the image', () => {
  it('ships the built apps and production dependencies only: no dev packages, sources, tests or npm secrets', async () => {
    const [size, layers] = (await podman('image', 'inspect', IMAGE, '--format', '{{.Size}} {{len .RootFS.Layers}}')).split(' ').map(Number);
    console.log(`image ${IMAGE}: ${((size as number) / 1024 / 1024).toFixed(0)} MiB in ${layers} layers`);

    const probe = `
      const fs = require('node:fs');
      const modules = fs.readdirSync('node_modules').flatMap((name) =>
        name.startsWith('@') ? fs.readdirSync('node_modules/' + name).map((inner) => name + '/' + inner) : [name]);
      const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(dir + '/' + entry.name) : [dir + '/' + entry.name]);
      console.log(JSON.stringify({
        user: require('node:os').userInfo().username,
        top: fs.readdirSync('.').sort(),
        modules,
        sources: walk('dist').filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')),
        secrets: ['/root/.npmrc', '/run/secrets/npmrc', '/run/secrets/npm-ca'].filter((path) => fs.existsSync(path)),
      }));`;
    // As root, so that /root is readable: a secret left in a layer would show.
    const inside = JSON.parse(await podman('run', '--rm', '--user', '0', IMAGE, 'node', '-e', probe)) as {
      user: string;
      top: string[];
      modules: string[];
      sources: string[];
      secrets: string[];
    };
    const { devDependencies, dependencies } = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, Record<string, string>>;
    expect(inside.top).toEqual(['dist', 'node_modules', 'package.json']);
    expect(inside.modules.filter((name) => name in devDependencies!)).toEqual([]);
    expect(inside.modules).toEqual(expect.arrayContaining(Object.keys(dependencies!)));
    expect(inside.sources).toEqual([]);
    expect(inside.secrets).toEqual([]);
    expect(await podman('image', 'inspect', IMAGE, '--format', '{{.Config.User}}')).toBe('node');
  });

  it('runs the server non-root on a read-only root filesystem and drains a client in full on podman stop', async () => {
    const name = `graceful-image-test-${process.pid}`;
    // As the manifests run it: uid 1000, read-only root with no writable tmpfs at all (podman
    // would mount /tmp, /var/tmp and /run by default; the manifests mount none), every capability
    // dropped, no privilege escalation.
    const container = new ChildProgram(
      'podman',
      [
        'run',
        '--rm',
        '--name',
        name,
        '--read-only',
        '--read-only-tmpfs=false',
        '--cap-drop=ALL',
        '--security-opt=no-new-privileges',
        '--user',
        '1000:1000',
        '--publish',
        '127.0.0.1::8080',
        '--env',
        'DRAIN_TIMEOUT_MS=10000',
        '--env',
        'DATA_INTERVAL_MS=60000',
        '--env',
        'FINAL_DATA_ITEMS=2',
        IMAGE,
      ],
      env,
    );
    try {
      await container.expectEvent('server_listening', ({ port }) => port === 8080);
      const port = /:(\d+)$/.exec(await podman('port', name, '8080/tcp'))![1];

      // The probes the kubelet makes, from inside the container's network namespace.
      const fromInside = (path: string): Promise<string> =>
        podman('exec', name, 'node', '-e', `fetch('http://127.0.0.1:8080${path}').then((r) => console.log(r.status))`);
      expect(await fromInside('/health/live')).toBe('200');
      expect(await fromInside('/health/ready')).toBe('200');

      const client = await FrameRecorder.json(`ws://127.0.0.1:${port}/ws`);
      ackCloseMarker(client);
      await client.next(ofType('hello'));
      // Frames on one socket are handled in order: once `probe` is answered, `in-flight` is in flight.
      client.send({ type: 'request', id: 'in-flight', payload: { workMs: 1500 } });
      client.send({ type: 'request', id: 'probe', payload: {} });
      await client.next((frame) => frame.type === 'result' && frame.id === 'probe');

      // SIGTERM to PID 1, then SIGKILL after 30 s, as the kubelet does after the grace period.
      const stopped = podman('stop', '--time', '30', name);
      expect(await client.closed).toEqual({ code: CloseCode.GOING_AWAY, reason: 'server draining' });
      await stopped;
      expect(await container.exited).toEqual({ code: 0, signal: null });

      const types = client.frames.map((frame) => frame.type);
      expect(types.slice(types.indexOf('shutdown'))).toEqual(['shutdown', 'result', 'data', 'data', 'close']);
      // Every line the server wrote is one JSON object (podman's own warnings, if any, are not).
      const records = container.log.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      const report = records.find((record) => /^Graceful shutdown complete/.test(String(record.message)));
      expect(report).toMatchObject({ level: 'log', context: 'ShutdownCoordinator' });
      expect(report?.message).toMatch(/drained 1 clients, flushed \d+ frames, cut 0 at deadline/);
    } finally {
      if (container.running) await podman('rm', '--force', name).catch(() => undefined);
      await container.exited;
    }
  });
});
