import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { NodeProcess, runningChildren, stillRunning } from '@app/standin';
import type { ScenarioResult } from '../drill/drill.context.js';
import type { HeadlineMetric } from '../drill/report/headline.js';

interface Results {
  passed: boolean;
  failed: unknown[];
  scenarios: ScenarioResult[];
  headline: HeadlineMetric[];
  connectFloor: { count: number; p50: number };
  timeline: { kind: string }[];
}

const DRILL_ENTRY = resolve('dist/drill/main.js');

describe('the drill (--quick)', () => {
  let output: string;
  beforeAll(async () => {
    output = await mkdtemp(join(tmpdir(), 'drill-'));
  });
  afterAll(() => rm(output, { recursive: true, force: true }));

  it('runs all eight scenarios on the stand-in cluster (the stream ones on a real Redis, the failover on Sentinel), passes every check and writes the report', async () => {
    const drill = new NodeProcess(DRILL_ENTRY, {}, ['--quick', '--require-redis', '--output', output]);
    const exit = await drill.exited;
    expect({ exit, log: exit.code === 0 ? '' : drill.log.lines.join('\n') }).toEqual({ exit: { code: 0, signal: null }, log: '' });
    const last = drill.log.lines.at(-1) ?? '';
    expect(last).toMatch(/^✅ all checks passed(; ⚠️ \d+ of \d+ speed targets missed)?; report in .*report\.md$/);

    const [folder] = await readdir(output);
    const files = (await readdir(join(output, folder!))).sort();
    expect(files).toEqual(['report.md', 'results.json', 'timeline.svg']);
    const results = JSON.parse(await readFile(join(output, folder!, 'results.json'), 'utf8')) as Results;
    expect(results.passed).toBe(true);
    expect(results.failed).toEqual([]);
    expect(results.scenarios.map((s) => s.name)).toEqual([
      'normal',
      'graceful',
      'reconnect',
      'rolling',
      'crash',
      'stream',
      'stream-control',
      'redis-failover',
    ]);
    expect(results.scenarios.filter((s) => s.notRun)).toEqual([]);
    expect(results.scenarios.flatMap((s) => s.checks).every((c) => c.ok)).toBe(true);
    // The last line names the missed speed targets: a success line never hides one.
    const targets = results.scenarios.flatMap((s) => s.targets);
    const missed = targets.filter((t) => !t.met).length;
    expect(last.includes(`⚠️ ${missed} of ${targets.length} speed targets missed`)).toBe(missed > 0);

    // Figures come from this run's measurements.
    const metrics = Object.fromEntries(results.scenarios.map((s) => [s.name, s.metrics]));
    const durations = Object.fromEntries(results.scenarios.map((s) => [s.name, s.durationMs]));
    expect(metrics.graceful?.shutdownTotalMs).toBeGreaterThanOrEqual(300);
    // The drain is part of SIGTERM → exit; the reconnect gap runs from the last frame before the
    // drain (scenario 2) to the hello on the other replica (scenario 3).
    expect(metrics.graceful?.drainMs).toBeGreaterThanOrEqual(0);
    expect(metrics.graceful?.drainMs).toBeLessThanOrEqual(Number(metrics.graceful?.sigtermToExitMs));
    expect(metrics.reconnect?.reconnectGapMs).toBeGreaterThanOrEqual(0);
    expect(metrics.reconnect?.reconnectGapMs).toBeLessThanOrEqual(Number(durations.graceful) + Number(durations.reconnect));
    expect(metrics.rolling?.requestsCreated).toBeGreaterThan(0);
    expect(metrics.rolling?.requestsCompleted).toBe(metrics.rolling?.requestsCreated);
    // One row per replaced pod, each with the clients its drain moved: together, every reconnect.
    const [perStep] = results.scenarios.find((s) => s.name === 'rolling')?.tables ?? [];
    const moved = perStep?.rows.map((row) => Number(row[2])) ?? [];
    expect(moved.length).toBeGreaterThanOrEqual(2);
    expect(moved.every((count) => count > 0)).toBe(true);
    expect(moved.reduce((sum, count) => sum + count, 0)).toBe(metrics.rolling?.reconnects);
    expect(Number.isInteger(metrics.crash?.requestsResent)).toBe(true);
    expect(metrics.stream?.entriesPublished).toBeGreaterThan(0);
    expect(metrics.stream?.entriesDelivered).toBe(Number(metrics.stream?.entriesPublished) * Number(metrics.stream?.subscribers));
    expect(metrics['stream-control']?.unrecoverable).toBeGreaterThan(0);
    // The failover happened under load, and nothing delivered was taken back.
    expect(metrics['redis-failover']?.promotedAfterMs).toBeGreaterThan(0);
    expect(metrics['redis-failover']?.entriesDelivered).toBe(
      Number(metrics['redis-failover']?.entriesPublished) * Number(metrics['redis-failover']?.subscribers),
    );
    expect(metrics['redis-failover']?.phantoms).toBe(0);
    expect(metrics.crash?.requestsResent).toBeGreaterThanOrEqual(0);
    expect(results.connectFloor.count).toBe(20);
    expect(results.headline.map((row) => row.value === null)).toEqual([false, false, false, false, false]);
    expect(results.timeline.some((event) => event.kind === 'pod-sigkill')).toBe(true);
    expect(results.timeline.some((event) => event.kind === 'stream-delivered')).toBe(true);

    const report = await readFile(join(output, folder!, 'report.md'), 'utf8');
    expect(report).toContain('| Reconnect time after a drain | < 2 s | a fixed 2 s sleep before reconnecting');
    expect(report).toContain('✅ server exited 0');
    expect(report).toContain('Reconnect gap per rolling step (clients the step moved):');
    expect(report).not.toMatch(/^- ❌/m);
    const svg = await readFile(join(output, folder!, 'timeline.svg'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('Connections per server pod');
    expect(svg).toContain('stream entries delivered/s');
    expect(svg).toContain('entries delivered/s, drill.');
  });

  it.each([
    [[], 0, /⚠️ stream: not run — redis-server is not installed: install it with "apt-get install -y redis-server"/],
    [['--require-redis'], 1, /❌ stream: Redis available \(--require-redis\) — redis-server is not installed/],
  ])('without redis-server (%j): marks the stream scenario not run, never passed', async (extra, code, line) => {
    // An empty PATH hides redis-server; the drill starts node by its own path.
    const drill = new NodeProcess(DRILL_ENTRY, { PATH: '/nonexistent' }, [
      '--quick',
      '--scenarios',
      'stream',
      '--output',
      output,
      ...extra,
    ]);
    expect((await drill.exited).code).toBe(code);
    expect(drill.log.lines.join('\n')).toMatch(line);
  });
});

describe('the soak (--quick --soak)', () => {
  let output: string;
  beforeAll(async () => {
    output = await mkdtemp(join(tmpdir(), 'soak-'));
  });
  afterAll(() => rm(output, { recursive: true, force: true }));

  // Sixteen faults with their drains, restarts and a quiet period: longer than one scenario.
  it('inflicts random faults from its seed under load and passes an exact ledger', async () => {
    const drill = new NodeProcess(DRILL_ENTRY, {}, [
      '--quick',
      '--soak',
      '--events',
      '16',
      '--seed',
      '2026',
      '--require-redis',
      '--output',
      output,
    ]);
    const exit = await drill.exited;
    expect({ exit, log: exit.code === 0 ? '' : drill.log.lines.join('\n') }).toEqual({ exit: { code: 0, signal: null }, log: '' });
    expect(drill.log.lines).toContain('soak: seed 2026 (replay with --soak --seed 2026 --events 16)');

    const [folder] = await readdir(output);
    const results = JSON.parse(await readFile(join(output, folder!, 'results.json'), 'utf8')) as Results;
    const [soak, ...others] = results.scenarios;
    expect(others).toEqual([]);
    expect(soak?.name).toBe('soak');
    // The ledger: requests, pods, and (Redis required) publishes and subscribers, all checked.
    expect(soak?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['every request created was completed, none outstanding after the quiet period, none answered twice', true],
      ['no sequence gap (no data lost)', true],
      ['every deleted pod exited 0 within its grace period', true],
      ['the Deployment has its replicas, and no deleted or killed pod process is left running', true],
      ['no process left behind (every child of the drill but the live pods and Redis has exited)', true],
      ['every confirmed publish is in the stream exactly once', true],
      ['no publish lost or doubled (ids 1…N, each once per epoch)', true],
      [
        'every subscriber received every offset once, in order, to the last (gaps 0, duplicates 0; recovered: false only where Redis lost data)',
        true,
      ],
    ]);
    // Every planned fault was inflicted or, not applying at its moment, skipped and counted.
    const inflicted = Number(soak?.metrics.faultsInflicted);
    const perKind = Object.entries(soak!.metrics).filter(([name]) => name.startsWith('faults.'));
    expect(perKind.reduce((sum, [, count]) => sum + Number(count), 0)).toBe(inflicted);
    const [byKind] = soak?.tables ?? [];
    expect(byKind?.rows.reduce((sum, row) => sum + Number(row[1]) + Number(row[2]), 0)).toBe(16);
    expect(inflicted).toBeGreaterThan(8);
    expect(results.timeline.filter((event) => event.kind === 'fault')).toHaveLength(inflicted);
    expect(Number(soak?.metrics.requestsCreated)).toBeGreaterThan(0);
    expect(Number(soak?.metrics.entriesPublished)).toBeGreaterThan(0);
    const svg = await readFile(join(output, folder!, 'timeline.svg'), 'utf8');
    expect(svg).toContain('faults');
  }, 120_000);
});

describe('a drill stopped mid-run', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('by %s takes every pod, client and redis-server it started with it', async (signal, code) => {
    const output = await mkdtemp(join(tmpdir(), 'stopped-'));
    try {
      const drill = new NodeProcess(DRILL_ENTRY, {}, [
        '--quick',
        '--soak',
        '--events',
        '50',
        '--seed',
        '7',
        '--require-redis',
        '--output',
        output,
      ]);
      await drill.expectLine(/soak: fault 1\/50/);
      const children = runningChildren(drill.pid!) ?? [];
      const commands = children.map((child) => child.command).join('\n');
      for (const part of ['redis-server', 'apps/server/main.js', 'apps/client/main.js']) expect(commands).toContain(part);
      drill.signal(signal);
      expect(await drill.exited).toEqual({ code, signal: null });
      // SIGKILLed as the drill exits; the kernel may take a moment to finish each one off.
      const deadline = Date.now() + 5000;
      let left = children;
      while (left.length > 0 && Date.now() < deadline) {
        left = left.filter((child) => stillRunning(child.pid));
        if (left.length > 0) await delay(20);
      }
      expect(left).toEqual([]);
    } finally {
      await rm(output, { recursive: true, force: true });
    }
  });
});
