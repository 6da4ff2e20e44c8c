/** Prepended to every metric name, the default process metrics included (docs/operations.md, "Metrics"). */
export const METRIC_PREFIX = 'graceful';

/** How an upgrade request was answered. */
export type UpgradeOutcome =
  'accepted' | 'refused_draining' | 'refused_limit' | 'unauthorized' | 'forbidden_origin' | 'bad_path' | 'bad_subprotocol';
