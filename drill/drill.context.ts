import type { TcpForwarder } from '@app/standin';
import type { ClientProcess } from './cluster/client-process.js';
import type { Deployment } from './cluster/deployment.js';
import type { ServerPod } from './cluster/server-pod.js';
import type { DrillOptions, ScenarioName } from './drill.options.js';
import type { Progress } from './report/progress.js';
import type { Timeline } from './timeline.js';

export interface Check {
  name: string;
  ok: boolean;
  /** The measured value or the evidence, in words. */
  detail: string;
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
  checks: Check[];
  metrics: Record<string, MetricValue>;
  excerpts: LogExcerpt[];
}

/** What the scenarios share: the cluster, the Service address and the seed client. */
export interface DrillContext {
  options: DrillOptions;
  timeline: Timeline;
  service: TcpForwarder;
  serviceUrl: string;
  deployment: Deployment;
  progress: Progress;
  /** The single client of the seed report (scenarios 1–3). */
  seedClient?: ClientProcess;
  /** The pod that held the seed client when scenario 2 deleted it. */
  drainedPod?: ServerPod;
  /** Index in the seed client's log where scenario 2 began. */
  drainLogIndex?: number;
}

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}
