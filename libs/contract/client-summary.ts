import { z } from 'zod';

/**
 * The client app's result, as its observers (the drill, tests, scripts) read it: one line,
 * `Client summary: {…}`, printed on exit; the exit code says whether work was left unanswered.
 * The schema is the contract: the app builds the object to this type, readers parse it with it.
 */
export const CLIENT_SUMMARY_PREFIX = 'Client summary: ';

/** Exit code when requests or publishes are still unanswered at exit (docs/client.md, "Exit codes"). */
export const EXIT_WORK_UNANSWERED = 3;

const count = z.number().int().nonnegative();
const measured = z.number().nullable();

const gapSummarySchema = z.strictObject({ count, p50: measured, p99: measured, max: measured });

const streamSummarySchema = z.strictObject({
  published: z.strictObject({ created: count, acked: count, duplicates: count, outstanding: count, refused: count }),
  received: count,
  duplicates: count,
  gaps: count,
  unrecoverable: count,
  /** Over the virtual clients that follow a channel: the fewest and most losses each was told of (null: none follows one). */
  unrecoverablePerSubscriber: z.strictObject({ min: count, max: count }).nullable(),
  latencyMs: z.strictObject({ p50: measured, p99: measured, max: measured }),
  /** Longest time any virtual client waited between two entries of a channel. */
  maxStallMs: z.number().nonnegative(),
  /**
   * Live feeds a server said stopped (its stream backend unreachable): how many notices, their
   * time summed up to their end (or to this summary, for the `open` ones still stopped).
   */
  feedStalls: z.strictObject({ count, totalMs: z.number().nonnegative(), open: count }),
  /** Per channel, the lowest and highest last offset any virtual client received. */
  lastOffset: z.record(z.string(), z.strictObject({ min: count, max: count })),
});

/** The summary line's object. `null` marks a figure the text dialect cannot measure. */
export const clientSummarySchema = z.strictObject({
  clients: count,
  connections: count,
  reconnects: count,
  failedAttempts: count,
  reconnectGapMs: z.strictObject({
    afterDrain: gapSummarySchema,
    /** The same gaps by the server that drained: one entry per replica a rolling update replaced. */
    afterDrainByServer: z.record(z.string(), gapSummarySchema),
    afterFailure: gapSummarySchema,
    /** By the server whose connection failed (a SIGKILLed replica, say). */
    afterFailureByServer: z.record(z.string(), gapSummarySchema),
  }),
  frames: z.strictObject({ received: count, seqGaps: count.nullable() }),
  requests: z
    .strictObject({ created: count, sent: count, resent: count, completed: count, duplicates: count, outstanding: count, refused: count })
    .nullable(),
  /** Shared channels (docs/protocol.md, "Shared channels"); null in the text dialect. */
  stream: streamSummarySchema.nullable(),
});

export type GapSummary = z.infer<typeof gapSummarySchema>;
export type StreamSummary = z.infer<typeof streamSummarySchema>;
export type ClientSummary = z.infer<typeof clientSummarySchema>;

/** The object of a `Client summary:` line; throws naming what does not match the contract. */
export function parseClientSummaryLine(line: string): ClientSummary {
  if (!line.startsWith(CLIENT_SUMMARY_PREFIX)) throw new Error(`not a client summary line: ${line.slice(0, 80)}`);
  const parsed = clientSummarySchema.safeParse(JSON.parse(line.slice(CLIENT_SUMMARY_PREFIX.length)));
  if (!parsed.success) throw new Error(`the client summary breaks its contract: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

/** A list of gaps (ms) as the summary reports it: count, nearest-rank p50 and p99, max. */
export function summarizeGaps(gaps: number[]): GapSummary {
  const sorted = [...gaps].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null };
}
