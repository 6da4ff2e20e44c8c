import type { ClusterEventKind } from '@app/standin';

export type TimelineKind =
  | ClusterEventKind
  | 'connections'
  /** `value`: stream entries delivered so far to the subscriber fleet of channel `detail`. */
  | 'stream-delivered'
  /** A soak's fault: `detail` is its kind, `pod` the pod it hit (none for a client restart). */
  | 'fault'
  | 'phase';

export interface TimelineEvent {
  /** Milliseconds since the drill started. */
  t: number;
  kind: TimelineKind;
  pod?: string;
  /** For `connections`: open connections to `pod` after this event. */
  value?: number;
  detail?: string;
}

/** Everything that happened, in order, for the chart and `results.json`. */
export class Timeline {
  readonly startedAt = Date.now();
  readonly events: TimelineEvent[] = [];

  /** Records an event that happened at `at` (epoch ms; now by default). */
  record(kind: TimelineKind, fields: Omit<TimelineEvent, 't' | 'kind'> = {}, at = Date.now()): TimelineEvent {
    const event = { t: at - this.startedAt, kind, ...fields };
    this.events.push(event);
    return event;
  }

  /** Milliseconds since the start for an epoch time. */
  at(epochMs: number): number {
    return epochMs - this.startedAt;
  }
}
