import type { ClientProcess, Deployment, EndpointsController, RedisSentinelGroup, ServerPod, TcpForwarder } from '@app/standin';
import type { Redis } from 'ioredis';
import type { GapSummary } from '@app/contract';
import type { DrillOptions, ScenarioName } from './drill.options.js';
import type { Progress } from './report/progress.js';
import type { Timeline } from './timeline.js';

export interface Check {
  name: string;
  ok: boolean;
  /** The measured value or the evidence, in words. */
  detail: string;
}

/**
 * A speed goal. Unlike a check it does not fail the drill: timings depend on the machine, so the
 * report shows them next to a baseline measured in the same run instead of asserting them.
 */
export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export type MetricValue = number | string | boolean | null;

export interface LogExcerpt {
  source: string;
  lines: string[];
}

export interface ScenarioResult {
  name: ScenarioName;
  title: string;
  /** ms since the drill started. */
  startedAt: number;
  durationMs: number;
  /** Why the scenario did not run (e.g. no Redis); it is then never reported as passed. */
  notRun?: string;
  checks: Check[];
  targets: Target[];
  metrics: Record<string, MetricValue>;
  /** Figures with more than one dimension (e.g. per rolling step), shown as tables under the metrics. */
  tables?: ResultTable[];
  excerpts: LogExcerpt[];
}

export interface ResultTable {
  title: string;
  header: string[];
  rows: MetricValue[][];
}

/** What the scenarios share: the cluster, the Service address and the seed client. */
export interface DrillContext {
  options: DrillOptions;
  timeline: Timeline;
  service: TcpForwarder;
  serviceUrl: string;
  deployment: Deployment;
  /** The environment of every server pod of the drill's Deployment. */
  serverEnv: Record<string, string>;
  /**
   * The Redis the stream backend uses: a client for reading streams back, or why there is none.
   * `group`: the soak's own Sentinel group (none with `--redis-url`), which its Redis faults act on.
   */
  redis: { admin: Redis; group?: RedisSentinelGroup; missing?: undefined } | { admin?: undefined; group?: undefined; missing: string };
  /** The Service's endpoint propagation, which a soak can slow down for a while. */
  endpoints: EndpointsController;
  progress: Progress;
  /** The single client of the seed report (scenarios 1–3). */
  seedClient?: ClientProcess;
  /** The pod that held the seed client when scenario 2 deleted it. */
  drainedPod?: ServerPod;
  /** Index in the seed client's log where scenario 2 began. */
  drainLogIndex?: number;
  /** Fresh connection → `hello` through the Service, measured before the scenarios: the floor of any reconnect gap. */
  connectFloor?: GapSummary;
}

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

/** A reconnect-gap goal, shown with its ratio to the connection floor measured in this run. */
export function gapTarget(ctx: DrillContext, name: string, gapMs: number | null, goalMs: number): Target {
  const floor = ctx.connectFloor?.p99;
  const ratio = gapMs !== null && floor ? ` = ${(gapMs / floor).toFixed(1)}× the connection floor (p99 ${floor} ms)` : '';
  return {
    name,
    goal: `< ${goalMs} ms`,
    measured: gapMs === null ? 'not measured' : `${gapMs} ms${ratio}`,
    met: gapMs !== null && gapMs < goalMs,
  };
}
