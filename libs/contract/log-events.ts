/**
 * The structured events the server and the load client log: the contract between the apps and
 * whoever watches them (the drill, the benches, the tests, a log pipeline). With
 * `LOG_FORMAT=json` each is one line whose `event` field names it and whose other top-level
 * fields are the ones declared here, next to Nest's own (`level`, `pid`, `timestamp`, `message`,
 * `context`). The `message` is for people and may be reworded at any time; the event names and
 * their fields are what observers read, so they change only with this file (docs/operations.md
 * lists them).
 *
 * Apps build the fields with `logEvent`, so a misspelt name or a missing field fails to compile;
 * readers parse a line with `parseLogEvent` and narrow it to an event's fields with `isLogEvent`.
 */
export interface LogEvents {
  // --- server: lifecycle
  /** Listening; `port` is the one bound (PORT=0 picks a free one). */
  server_listening: { port: number };
  /** SIGTERM/SIGINT arrived: readiness is 503 from now on. */
  drain_started: { signal: string };
  /** SHUTDOWN_DELAY_MS: established connections are served this long before the drain. */
  drain_delayed: { delayMs: number };
  /** A second signal during the shutdown: the delay is skipped and what is left is cut. */
  drain_hurried: { signal: string };
  /** The drain began: each of `clients` connections gets the `shutdown` notice, its in-flight results and `items` final data items. */
  drain_final_data: { items: number; clients: number };
  /** Every connection drained or cut; the process exits next. */
  drain_complete: { clients: number; framesFlushed: number; cutAtDeadline: number; durationMs: number };
  // --- server: connections
  client_connected: { peer: string; dialect: 'json' | 'text'; subject?: string };
  client_disconnected: { peer: string; code: number };
  /** An upgrade refused before it became a connection (auth, connection limit, draining, origin). */
  upgrade_refused: { peer: string; status: number; reason: string };
  /** A text-dialect client's message, as the original program logged it. */
  peer_text: { peer: string; text: string };
  /** A frame over MAX_PAYLOAD_BYTES: closed with 1009. */
  frame_too_large: { peer: string; limitBytes: number };
  /** A frame that arrived after the peer's close frame: not taken (debug level). */
  frame_after_close: { peer: string };
  /** Over its inbound budget: the socket is not read for `pauseMs`. */
  inbound_paused: { peer: string; pauseMs: number };
  /** Stayed over its inbound budget: closed with 1008. */
  inbound_abused: { peer: string };
  /** Its outbound queue passed MAX_BUFFERED_BYTES: terminated. */
  slow_consumer: { peer: string; queuedBytes: number; limitBytes: number };
  /** Heartbeats unanswered: terminated. */
  heartbeat_missed: { peer: string; missed: number };
  socket_error: { peer: string; error: string };
  /** The server refused a frame with an `error` (the connection stays open). */
  frame_rejected: { peer: string; code: string; reason: string };
  /** Repeats of one kind of line about one peer, counted instead of written (see PeerLog). */
  log_suppressed: { about: string; kind: string; count: number };
  // --- server: stream backend
  backend_up: { backend: 'redis'; topology: string };
  backend_down: { backend: 'redis'; reason: string };
  // --- load client
  /** Its metrics endpoint listens (METRICS_PORT=0 picks a free port). */
  client_metrics_listening: { port: number };
  /** Periodic (STATS_INTERVAL_MS): virtual clients connected now, and the summary's counters so far. */
  client_stats: {
    connected: number;
    clients: number;
    reconnects: number;
    framesReceived: number;
    requestsCreated: number | null;
    /** Per followed channel: entries received, gaps, and the lowest last offset over the fleet. */
    stream: { received: number; gaps: number; slowestOffset: number } | null;
  };
  /** At exit (SIGTERM), work still unanswered after EXIT_TIMEOUT_MS: the client exits 3. */
  work_unanswered: { requests: number; publishes: number };
  /** A virtual client opens a connection (the first, or a reconnect). */
  client_connecting: { client: string; url: string };
  /** A virtual client's frame, as received (log or debug level: FRAME_LOG_LEVEL). `client` is the virtual client's tag. */
  frame_received: { client: string; text: string };
  invalid_frame: { client: string; reason: string; text: string };
  /** Frames of the connection's numbering that never arrived (JSON dialect). */
  seq_gap: { client: string; from: number; to: number };
  /** A frame numbered at or below one already received: ignored. */
  seq_backwards: { client: string; seq: number; last: number };
  /** A `result` or `published` for work this client never sent (or already had answered): ignored. */
  unknown_answer: { client: string; frame: 'result' | 'published'; id: string };
  /** At exit: every frame ignored as invalid, over the fleet. */
  invalid_frames_ignored: { count: number };
  /** A connection ended: as the protocol asks (`drain`, `closed`), or not (`failure`, with why). */
  connection_ended: { client: string; how: string; error?: string };
  reconnect_scheduled: { client: string; delayMs: number; attempt?: number };
  /** The socket's close frame (debug level). */
  socket_closed: { client: string; code: number; reason: string };
  drain_notice_received: { client: string };
  drain_marker_received: { client: string };
  /** A server refused a frame (`error`). */
  frame_refused: { client: string; code: string; reason: string };
  /** A channel's live feed stopped on the server (its stream backend unreachable). */
  channel_feed_stopped: { client: string; channel: string };
  /** A channel subscription was told entries are gone (`recovered: false`). */
  channel_loss: { client: string; channel: string; had: ChannelPoint; resumesAfter: ChannelPoint };
  /** Offsets that never arrived although the server did not say they were gone. */
  channel_gap: { client: string; channel: string; from: number; to: number };
  channel_refused: { client: string; channel: string; code: string; reason: string };
}

/** A place in a channel: its epoch and an offset in it. */
export interface ChannelPoint {
  epoch: string;
  offset: number;
}

export type LogEventName = keyof LogEvents;

/** What Nest's JSON logger writes on every line, next to an event's fields. */
interface LineFields {
  level: string;
  message: string;
  context?: string;
  timestamp?: number;
  /** On a line about a peer: lines of its kind counted, not written, since the last one (PeerLog). */
  suppressed?: number;
}

/** A parsed line of event `N`: its fields, its name, and what every line carries. */
export type LogRecord<N extends LogEventName> = LogEvents[N] & { event: N } & LineFields;

/** A parsed event line of any name, its fields not yet trusted. */
export type AnyLogRecord = { event: string } & LineFields & Record<string, unknown>;

/** Any event's fields with its name, as `logEvent` builds them. */
export type LogEventFields = { [N in LogEventName]: LogEvents[N] & { event: N } }[LogEventName];

/** The fields to log after a message: `logger.log(text, logEvent('client_connected', {...}))`. */
export function logEvent<N extends LogEventName>(event: N, fields: LogEvents[N]): LogEvents[N] & { event: N } {
  return { event, ...fields };
}

/** The event on a JSON log line, if it is one (of any name: a reader checks `event` before trusting fields). */
export function parseLogEvent(line: string): AnyLogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const record = JSON.parse(line) as Partial<AnyLogRecord> | null;
    return typeof record?.event === 'string' && typeof record.message === 'string' ? (record as AnyLogRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Narrows a parsed record to event `name`. */
export function isLogEvent<N extends LogEventName>(record: AnyLogRecord | undefined, name: N): record is AnyLogRecord & LogRecord<N> {
  return record?.event === name;
}
