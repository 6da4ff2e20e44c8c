import * as echarts from 'echarts';
import type { Timeline, TimelineEvent } from '../timeline.js';

const MARKED = {
  'pod-deleted': 'deleted',
  'pod-sigterm': 'SIGTERM',
  'pod-sigkill': 'SIGKILL',
  'pod-exited': 'exited',
} as const;

/**
 * Connections per pod over time (step lines), with the deletion, SIGTERM, SIGKILL and exit of
 * each pod marked, rendered to SVG by ECharts' server-side renderer.
 */
export function renderTimelineSvg(timeline: Timeline, title: string): string {
  const pods = [...new Set(timeline.events.filter((e) => e.kind === 'pod-created').map((e) => e.pod ?? ''))];
  const end = (timeline.events.at(-1)?.t ?? 0) / 1000;
  const series: Record<string, unknown>[] = pods.map((pod) => {
    const points: [number, number][] = [[(timeline.events.find((e) => e.pod === pod)?.t ?? 0) / 1000, 0]];
    for (const event of timeline.events) {
      if (event.kind === 'connections' && event.pod === pod) points.push([event.t / 1000, event.value ?? 0]);
    }
    points.push([end, points.at(-1)?.[1] ?? 0]);
    const marks = timeline.events
      .filter((event) => event.pod === pod && event.kind in MARKED)
      .map((event) => ({
        xAxis: event.t / 1000,
        label: { formatter: `${MARKED[event.kind as keyof typeof MARKED]} ${pod.slice(-5)}`, fontSize: 9, rotate: 90 },
      }));
    return {
      name: pod,
      type: 'line' as const,
      step: 'end' as const,
      showSymbol: false,
      data: points,
      markLine: { symbol: 'none', silent: true, lineStyle: { type: 'dashed' as const, width: 1 }, data: marks },
    };
  });
  // Stream entries delivered per second to each channel's subscriber fleet, from its cumulative counts.
  const fleets = new Map<string, TimelineEvent[]>();
  for (const event of timeline.events.filter((e) => e.kind === 'stream-delivered')) {
    fleets.set(event.detail ?? '', [...(fleets.get(event.detail ?? '') ?? []), event]);
  }
  for (const [channel, delivered] of fleets) {
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
      data: rate,
      yAxisIndex: 1,
      lineStyle: { type: 'dotted', width: 1 },
    });
  }
  // A soak's faults, each marked where it started, on a series of their own.
  const faults = timeline.events.filter((event) => event.kind === 'fault');
  if (faults.length > 0) {
    series.push({
      name: 'faults',
      type: 'line',
      data: [],
      markLine: {
        symbol: 'none',
        silent: true,
        lineStyle: { type: 'solid', width: 1, color: '#c23531', opacity: 0.5 },
        data: faults.map((event) => ({ xAxis: event.t / 1000, label: { formatter: event.detail ?? '', fontSize: 8, rotate: 90 } })),
      },
    });
  }
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 1100, height: 480 });
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: title, left: 10, top: 5, textStyle: { fontSize: 14 } },
    legend: { bottom: 0, type: 'plain', textStyle: { fontSize: 10 } },
    grid: { left: 60, right: 30, top: 90, bottom: 90 },
    xAxis: { type: 'value', name: 'seconds since start', nameLocation: 'middle', nameGap: 28, min: 0, max: Math.ceil(end) },
    yAxis: [
      { type: 'value', name: 'open connections', minInterval: 1 },
      { type: 'value', name: 'stream entries delivered/s', min: 0, splitLine: { show: false } },
    ],
    series,
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}
