import * as echarts from 'echarts';
import type { Timeline, TimelineEvent } from '../timeline.js';

/** A pod's lifecycle events, drawn as a marker of this shape on the pod's own line. */
const MARKERS = {
  'pod-deleted': { symbol: 'triangle', name: 'deleted', glyph: '▲' },
  'pod-sigterm': { symbol: 'diamond', name: 'SIGTERM', glyph: '◆' },
  'pod-sigkill': { symbol: 'rect', name: 'SIGKILL', glyph: '■' },
  'pod-exited': { symbol: 'circle', name: 'exited', glyph: '●' },
} as const;

/**
 * Twenty colours no two of which are easily confused (Tableau 20, darker shade first): each pod
 * of a drill gets its own; a soak, with more pods, reuses them only for pods far apart in time.
 */
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
];

/** The delivery-rate series: near-black, told apart by their dashes. */
const RATE_DASHES: (number[] | 'dotted')[] = ['dotted', [6, 3], [8, 3, 2, 3], [2, 6]];

const WIDTH = 1300;
const LEGEND_WIDTH = 250;
const LEGEND_ROW = 18;
const TOP = 80;
const BOTTOM = 60;
const GRID_LEFT = 70;
const GRID_RIGHT = LEGEND_WIDTH + 70;
/** Width of one digit of a fault's number (9 px type), and the room kept between two numbers. */
const DIGIT_PX = 5.5;
const LABEL_GAP_PX = 4;

/** The pod name as the legend shows it: the drill's main Deployment's prefix dropped. */
function shortPod(pod: string): string {
  return pod.replace(/^server-deployment-/, '');
}

/**
 * The faults (by index) whose numbers are drawn: each one that starts clear of the last number
 * drawn, so that a soak's hundreds of faults do not print over each other. Every fault keeps its line.
 */
export function faultsToNumber(faults: TimelineEvent[], pxPerSecond: number): Set<number> {
  const numbered = new Set<number>();
  let clearFrom = -Infinity;
  for (const [index, fault] of faults.entries()) {
    // A number is centred on its line.
    const halfWidth = (String(index + 1).length * DIGIT_PX) / 2;
    const x = (fault.t / 1000) * pxPerSecond;
    if (x - halfWidth < clearFrom) continue;
    numbered.add(index);
    clearFrom = x + halfWidth + LABEL_GAP_PX;
  }
  return numbered;
}

/** The open connections of a step line at time `t` (seconds). */
function valueAt(points: [number, number][], t: number): number {
  let value = 0;
  for (const [at, connections] of points) {
    if (at > t) break;
    value = connections;
  }
  return value;
}

/**
 * Connections per pod over time (step lines, one colour each), each pod's deletion, SIGTERM,
 * SIGKILL and exit marked on its own line by shape, the stream fleets' delivery rate on a second
 * axis, and a soak's faults numbered along the top. The legend sits at the right, one row per
 * series, and the chart grows to hold it; rendered to SVG by ECharts' server-side renderer.
 */
export function renderTimelineSvg(timeline: Timeline, title: string): string {
  const pods = [...new Set(timeline.events.filter((e) => e.kind === 'pod-created').map((e) => e.pod ?? ''))];
  const end = (timeline.events.at(-1)?.t ?? 0) / 1000;
  const series: Record<string, unknown>[] = pods.map((pod, index) => {
    const color = PALETTE[index % PALETTE.length]!;
    const points: [number, number][] = [[(timeline.events.find((e) => e.pod === pod)?.t ?? 0) / 1000, 0]];
    for (const event of timeline.events) {
      if (event.kind === 'connections' && event.pod === pod) points.push([event.t / 1000, event.value ?? 0]);
    }
    points.push([end, points.at(-1)?.[1] ?? 0]);
    const marks = timeline.events
      .filter((event) => event.pod === pod && event.kind in MARKERS)
      .map((event) => {
        const t = event.t / 1000;
        return {
          coord: [t, valueAt(points, t)],
          symbol: MARKERS[event.kind as keyof typeof MARKERS].symbol,
          symbolSize: 9,
          itemStyle: { color, borderColor: '#ffffff', borderWidth: 1 },
          label: { show: false },
        };
      });
    return {
      name: shortPod(pod),
      type: 'line' as const,
      step: 'end' as const,
      showSymbol: false,
      color,
      lineStyle: { width: 2 },
      data: points,
      markPoint: { silent: true, data: marks },
    };
  });
  // Stream entries delivered per second to each channel's subscriber fleet, from its cumulative counts.
  const fleets = new Map<string, TimelineEvent[]>();
  for (const event of timeline.events.filter((e) => e.kind === 'stream-delivered')) {
    fleets.set(event.detail ?? '', [...(fleets.get(event.detail ?? '') ?? []), event]);
  }
  for (const [index, [channel, delivered]] of [...fleets].entries()) {
    const rate = delivered.slice(1).map((event, index): [number, number] => {
      const previous = delivered[index]!;
      const seconds = (event.t - previous.t) / 1000;
      return [event.t / 1000, seconds > 0 ? Math.round(((event.value ?? 0) - (previous.value ?? 0)) / seconds) : 0];
    });
    series.push({
      name: `entries delivered/s, ${channel}`,
      type: 'line',
      step: 'end',
      showSymbol: false,
      color: '#222222',
      data: rate,
      yAxisIndex: 1,
      lineStyle: { type: RATE_DASHES[index % RATE_DASHES.length], width: 1.5 },
    });
  }
  // A soak's faults, numbered in order (the report lists them by number), on a series of their own.
  const faults = timeline.events.filter((event) => event.kind === 'fault');
  const numbered = faultsToNumber(faults, (WIDTH - GRID_LEFT - GRID_RIGHT) / Math.max(1, Math.ceil(end)));
  if (faults.length > 0) {
    series.push({
      name: 'faults',
      type: 'line',
      color: '#c23531',
      data: [],
      markLine: {
        symbol: 'none',
        silent: true,
        lineStyle: { type: 'solid', width: 1, color: '#c23531', opacity: 0.4 },
        data: faults.map((event, index) => ({
          xAxis: event.t / 1000,
          label: { show: numbered.has(index), formatter: String(index + 1), position: 'end', fontSize: 9, distance: 2 },
        })),
      },
    });
  }
  const height = Math.max(480, TOP + BOTTOM + series.length * LEGEND_ROW);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  const markerKey = Object.values(MARKERS)
    .map(({ glyph, name }) => `${glyph} ${name}`)
    .join('   ');
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    title: {
      text: title,
      subtext: `On each pod's line: ${markerKey}${faults.length > 0 ? '   red lines: faults, numbered where the numbers fit' : ''}`,
      left: 10,
      top: 5,
      textStyle: { fontSize: 14 },
      subtextStyle: { fontSize: 11, color: '#555555' },
    },
    legend: {
      orient: 'vertical',
      right: 10,
      top: TOP,
      width: LEGEND_WIDTH - 20,
      itemGap: LEGEND_ROW - 14,
      itemHeight: 10,
      textStyle: { fontSize: 10 },
    },
    grid: { left: GRID_LEFT, right: GRID_RIGHT, top: TOP, bottom: BOTTOM },
    xAxis: { type: 'value', name: 'seconds since the drill started', nameLocation: 'middle', nameGap: 30, min: 0, max: Math.ceil(end) },
    yAxis: [
      { type: 'value', name: 'open connections', nameLocation: 'middle', nameGap: 45, min: 0, minInterval: 1 },
      {
        type: 'value',
        name: 'stream entries delivered/s (dashed, black)',
        nameLocation: 'middle',
        nameGap: 55,
        min: 0,
        splitLine: { show: false },
      },
    ],
    series,
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}
