/** Every metric the server defines; `graceful_` is prepended (README, "Metrics"). */
export const METRIC = {
  connections: 'connections',
  upgrades: 'upgrades_total',
  framesReceived: 'frames_received_total',
  framesSent: 'frames_sent_total',
  framesRejected: 'frames_rejected_total',
  connectionsCut: 'connections_cut_total',
  requestsInFlight: 'requests_in_flight',
  requestDuration: 'request_duration_seconds',
  drains: 'drains_total',
  drainDuration: 'drain_duration_seconds',
  drainClientsCut: 'drain_clients_cut_total',
} as const;

export const METRIC_PREFIX = 'graceful';

/** How an upgrade request was answered. */
export type UpgradeOutcome = 'accepted' | 'refused_draining' | 'refused_limit' | 'unauthorized' | 'forbidden_origin' | 'bad_path';
