import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as echarts from 'echarts';

/** One measured figure: the median over the repeats for each server (`peer`: Socket.IO 4, fan-out only). */
export interface BenchRow {
  metric: string;
  product: number;
  floor: number;
  peer?: number;
}

/**
 * `target`: the ratio to the floor issue 12 aims for; `peerTarget`: the ratio to Socket.IO issue
 * 23 aims for; `productAtMost`: a bound on the product's own figure. Printed as met or missed,
 * never asserted.
 */
const LABELS: Record<string, { label: string; unit: string; target?: number; peerTarget?: number; productAtMost?: number }> = {
  acceptCpuFreshMs: { label: 'server CPU per accepted connection, fresh process', unit: 'ms', target: 1.2 },
  acceptCpuWarmMs: { label: 'server CPU per accepted connection, warm', unit: 'ms', target: 1.2 },
  heapPerConnectionKiB: { label: 'server JS heap per idle connection (after GC)', unit: 'KiB', target: 1.5 },
  rssPerConnectionKiB: { label: 'server RSS per idle connection', unit: 'KiB' },
  drainMs: { label: 'drain of the idle connections, SIGTERM → exit', unit: 'ms', target: 1.1 },
  moveGapP50Ms: { label: 'move to a fresh replica: close → hello p50', unit: 'ms' },
  moveGapP99Ms: { label: 'move to a fresh replica: close → hello p99', unit: 'ms', target: 1.2 },
  moveGapMaxMs: { label: 'move to a fresh replica: close → hello max', unit: 'ms' },
  moveFailedReconnects: { label: 'move: failed reconnect attempts', unit: '' },
  moveListenOverflows: { label: 'move: listen-queue overflows (kernel)', unit: '', productAtMost: 0 },
  moveAcceptCpuMs: { label: 'move: fresh replica CPU per accepted connection (1000 ÷ it = accepts per CPU-second)', unit: 'ms' },
  jitteredMoveGapP50Ms: { label: 'move honouring the advised jitter: close → hello p50', unit: 'ms' },
  jitteredMoveGapP99Ms: { label: 'move honouring the advised jitter: close → hello p99', unit: 'ms' },
  jitteredMoveGapMaxMs: { label: 'move honouring the advised jitter: close → hello max', unit: 'ms' },
  jitteredMoveFailedReconnects: { label: 'move honouring the jitter: failed reconnect attempts', unit: '' },
  jitteredMoveListenOverflows: { label: 'move honouring the jitter: listen-queue overflows', unit: '', productAtMost: 0 },
  jitterHonouredOverIgnoredP99: { label: 'move p99 honouring the jitter ÷ ignoring it (same server)', unit: '×', productAtMost: 1 },
  fanOutMessagesPerSec: { label: 'stream fan-out: messages delivered per second (1 channel, all subscribers)', unit: '/s' },
  fanOutBurstCpuPerMessageUs: { label: 'stream fan-out: server CPU per delivered message, burst', unit: 'µs' },
  fanOutCpuPerMessageUs: { label: 'stream fan-out: server CPU per delivered message, one publish per 50 ms', unit: 'µs', peerTarget: 1 },
  fanOutLatencyP50Ms: { label: 'stream fan-out: publish → receipt p50 (one publish per 50 ms)', unit: 'ms' },
  fanOutLatencyP99Ms: { label: 'stream fan-out: publish → receipt p99 (one publish per 50 ms)', unit: 'ms', peerTarget: 1.5 },
  clientHeapPerVirtualClientKiB: { label: 'client app JS heap per virtual client (after GC)', unit: 'KiB', target: 1.3 },
  clientRssPerVirtualClientKiB: { label: 'client app RSS per virtual client', unit: 'KiB', target: 1.3 },
};

const ratio = ({ product, floor }: BenchRow): number | null => (floor > 0 ? product / floor : null);

const peerRatio = ({ product, peer }: BenchRow): number | null => (peer !== undefined && peer > 0 ? product / peer : null);

function targetVerdict(row: BenchRow & { ratio: number | null; target?: number; peerTarget?: number; productAtMost?: number }): string {
  if (row.productAtMost !== undefined) return `product ≤ ${row.productAtMost} ${row.product <= row.productAtMost ? 'met' : 'missed'}`;
  const versusPeer = peerRatio(row);
  if (row.peerTarget !== undefined && versusPeer !== null)
    return `≤ ${row.peerTarget}× Socket.IO ${versusPeer <= row.peerTarget ? 'met' : 'missed'}`;
  if (row.target === undefined || row.ratio === null) return '';
  return `≤ ${row.target}× ${row.ratio <= row.target ? 'met' : 'missed'}`;
}
const figure = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1));

function chartSvg(rows: BenchRow[]): string {
  const shown = rows.filter((row) => ratio(row) !== null);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 60 + shown.length * 36 });
  chart.setOption({
    animation: false,
    title: { text: 'product ÷ raw-ws floor (1× = the floor)', left: 'center', textStyle: { fontSize: 13 } },
    grid: { left: 330, right: 60, top: 40, bottom: 20 },
    xAxis: { type: 'value', min: 0 },
    yAxis: { type: 'category', inverse: true, data: shown.map((row) => LABELS[row.metric]?.label ?? row.metric) },
    series: [
      {
        type: 'bar',
        data: shown.map((row) => Number(ratio(row)!.toFixed(2))),
        label: { show: true, position: 'right', formatter: '{c}×' },
        markLine: { symbol: 'none', silent: true, data: [{ xAxis: 1 }], lineStyle: { type: 'dashed' } },
      },
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

/** Writes bench.json, bench.md and bench.svg to `dir`; returns the table for the terminal. */
export function writeBenchReport(
  dir: string,
  rows: BenchRow[],
  run: { quick: boolean; repeats: number; sizes: Record<string, number> },
): string {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const date = new Date().toISOString();
  const labelled = rows.map((row) => ({ ...row, ...LABELS[row.metric], ratio: ratio(row) }));
  writeFileSync(join(dir, 'bench.json'), `${JSON.stringify({ date, machine, ...run, rows: labelled }, null, 2)}\n`);
  writeFileSync(join(dir, 'bench.svg'), chartSvg(rows));

  const header = ['metric', 'product', 'floor', 'product ÷ floor', 'Socket.IO 4', 'product ÷ Socket.IO', 'target'];
  const lines = labelled.map((row) => {
    const versusPeer = peerRatio(row);
    return [
      row.label ?? row.metric,
      `${figure(row.product)} ${row.unit ?? ''}`.trim(),
      `${figure(row.floor)} ${row.unit ?? ''}`.trim(),
      row.ratio === null ? 'n/a' : `${row.ratio.toFixed(2)}×`,
      row.peer === undefined ? '' : `${figure(row.peer)} ${row.unit ?? ''}`.trim(),
      versusPeer === null ? '' : `${versusPeer.toFixed(2)}×`,
      targetVerdict(row),
    ];
  });
  const sizes = Object.entries(run.sizes)
    .filter(([name]) => name !== 'repeats')
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
  const markdown = [
    `# Benchmark: product vs raw-ws floor, and Socket.IO 4 for fan-out (${date.slice(0, 10)})`,
    '',
    `${machine}; median of ${run.repeats} interleaved run(s)${run.quick ? ' (--quick: small sizes, not for comparison)' : ''}; sizes: ${sizes}.`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...lines.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    '![product ÷ floor](bench.svg)',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'bench.md'), markdown);

  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((cells) => cells[column]!.length)));
  return [header, ...lines]
    .map((cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '))
    .join('\n');
}
