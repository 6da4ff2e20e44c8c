/** What the stand-in cluster reports as it happens, for whoever keeps a timeline of it. */
export type ClusterEventKind =
  'pod-created' | 'pod-ready' | 'pod-deleted' | 'pod-sigterm' | 'pod-sigkill' | 'pod-exited' | 'endpoint-added' | 'endpoint-removed';

/** Receives the cluster's events: the drill's `Timeline`, or nothing (`IGNORE_CLUSTER_EVENTS`). */
export interface ClusterRecorder {
  /** `at`: when it happened (epoch ms), when not now. */
  record(kind: ClusterEventKind, fields: { pod: string; detail?: string }, at?: number): unknown;
}

/** For a cluster nobody keeps a timeline of (the demo). */
export const IGNORE_CLUSTER_EVENTS: ClusterRecorder = { record: () => undefined };
