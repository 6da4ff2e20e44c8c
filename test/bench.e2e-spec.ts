import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProgram } from '@app/standin';

interface Row {
  metric: string;
  product: number;
  floor: number;
  peer?: number;
  ratio: number | null;
}

describe('npm run bench -- --quick', () => {
  it('measures the product and the raw-ws floor side by side (and Socket.IO for fan-out) and writes the table as JSON, Markdown and a chart', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-'));
    try {
      const bench = new ChildProgram(process.execPath, ['dist/bench/main.js', '--quick', '--out', out]);
      // Exit 0 also means every drain closed all clients with 1001 and skipped no sequence number.
      expect(await bench.exited).toEqual({ code: 0, signal: null });
      const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { rows: Row[]; quick: boolean };
      expect(report.quick).toBe(true);
      expect(report.rows.map((row) => row.metric)).toEqual([
        'acceptCpuFreshMs',
        'acceptCpuWarmMs',
        'heapPerConnectionKiB',
        'rssPerConnectionKiB',
        'drainMs',
        'moveGapP50Ms',
        'moveGapP99Ms',
        'moveGapMaxMs',
        'moveFailedReconnects',
        'moveListenOverflows',
        'moveAcceptCpuMs',
        'jitteredMoveGapP50Ms',
        'jitteredMoveGapP99Ms',
        'jitteredMoveGapMaxMs',
        'jitteredMoveFailedReconnects',
        'jitteredMoveListenOverflows',
        'fanOutMessagesPerSec',
        'fanOutBurstCpuPerMessageUs',
        'fanOutCpuPerMessageUs',
        'fanOutLatencyP50Ms',
        'fanOutLatencyP99Ms',
        'clientHeapPerVirtualClientKiB',
        'clientRssPerVirtualClientKiB',
        'jitterHonouredOverIgnoredP99',
      ]);
      // Figures, not speeds: every one measured for both servers.
      for (const row of report.rows) {
        expect(Number.isFinite(row.product) && Number.isFinite(row.floor)).toBe(true);
        if (row.metric.endsWith('Ms')) expect(row.product).toBeGreaterThan(0);
        // The peer is measured for fan-out, and only there.
        expect(row.peer !== undefined).toBe(row.metric.startsWith('fanOut'));
        if (row.peer !== undefined) expect(Number.isFinite(row.peer)).toBe(true);
      }
      const markdown = readFileSync(join(out, 'bench.md'), 'utf8');
      expect(markdown).toMatch(/\| server RSS per idle connection \| -?[\d.]+ KiB \| -?[\d.]+ KiB \| -?[\d.]+× \| {2}\| {2}\| {2}\|/);
      // Targets are printed as met or missed, never asserted.
      expect(markdown).toMatch(
        /\| server JS heap per idle connection \(after GC\) \| -?[\d.]+ KiB \| -?[\d.]+ KiB \| -?[\d.]+× \| {2}\| {2}\| ≤ 1\.5× (met|missed) \|/,
      );
      expect(markdown).toMatch(
        /\| move p99 honouring the jitter ÷ ignoring it \(same server\) \| [\d.]+ × \| [\d.]+ × \| [\d.]+× \| {2}\| {2}\| product ≤ 1 (met|missed) \|/,
      );
      expect(markdown).toMatch(
        /\| stream fan-out: server CPU per delivered message, one publish per 50 ms \| [\d.]+ µs \| [\d.]+ µs \| [\d.]+× \| [\d.]+ µs \| [\d.]+× \| ≤ 1× Socket\.IO (met|missed) \|/,
      );
      expect(readFileSync(join(out, 'bench.svg'), 'utf8')).toMatch(/^<svg/);
      expect(bench.log.lines.join('\n')).toMatch(/product ÷ floor/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('npm run bench:redis -- --quick', () => {
  it('measures one Redis and a 3-shard Cluster behind the built server in the same run: commands per publish, keys and bytes per master', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-redis-'));
    try {
      const bench = new ChildProgram(process.execPath, ['dist/bench/redis-shards.bench.js', '--quick', '--out', out]);
      // Its output says where a run got stuck.
      expect({ exit: await bench.exited, output: bench.log.lines.filter((line) => line.includes('stuck')) }).toEqual({
        exit: { code: 0, signal: null },
        output: [],
      });
      const report = JSON.parse(readFileSync(join(out, 'redis-shards.json'), 'utf8')) as {
        results: {
          topology: string;
          commandsPerPublish: number;
          callsPerPublish: number;
          keysPerMaster: number[];
          liveBytesPerMaster: number[];
        }[];
      };
      expect(report.results.map((result) => [result.topology, result.keysPerMaster.length])).toEqual([
        ['one Redis', 1],
        ['Cluster, 3 shards', 3],
        ['Cluster, 3 shards, PUBLISH_MIN_REPLICAS=1', 3],
      ]);
      const [single, sharded, waited] = report.results;
      // One script call per publish; waiting for a replica adds the commit and a share of a WAIT.
      expect(single!.callsPerPublish).toBe(1);
      expect(sharded!.callsPerPublish).toBe(1);
      expect(waited!.callsPerPublish).toBeGreaterThan(2);
      // Every shard holds some channels and sends some live traffic.
      for (const { keysPerMaster, liveBytesPerMaster } of [sharded!, waited!]) {
        expect(keysPerMaster.every((keys) => keys > 0)).toBe(true);
        expect(liveBytesPerMaster.every((bytes) => bytes > 0)).toBe(true);
      }
      expect(bench.log.lines.join('\n')).toMatch(/\| one Redis \| \d+ \| [\d.]+ \| 1\.00 \|/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
