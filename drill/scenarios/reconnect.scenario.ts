import { check, gapTarget, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { excerpt, receivedFrame } from '../log-lines.js';
import { GAP_TARGET_MS } from './targets.js';

/** Epoch ms of a data frame's `payload.at` (the server's clock, the same machine). */
function dataAt(line: string): number | undefined {
  const frame = receivedFrame(line);
  if (frame?.type !== 'data') return undefined;
  const at = (frame.payload as { at?: unknown } | undefined)?.at;
  return typeof at === 'string' ? Date.parse(at) : undefined;
}

/** Scenario 3: the client resumes on another replica; measures the reconnect and data gaps. */
export async function reconnectScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const client = ctx.seedClient;
  const drained = ctx.drainedPod;
  const from = ctx.drainLogIndex;
  if (!client || !drained || from === undefined) throw new Error('the reconnect scenario follows the graceful one');
  const closedAt = client.log.lines.findIndex((line, index) => index >= from && /Connection closed, will reconnect/.test(line));
  const hello = await client.expectLine(/Received: \{"type":"hello".*"serverId":"([^"]+)"/, closedAt);
  const resumed = await client.expectLine(/Received: \{"type":"data".*"final":false/, closedAt);
  const summary = await client.finish();

  const lastOld = client.log.lines
    .slice(from, closedAt)
    .map(dataAt)
    .filter((at) => at !== undefined)
    .at(-1);
  const firstNew = dataAt(resumed.input ?? '');
  const dataGapMs = lastOld !== undefined && firstNew !== undefined ? firstNew - lastOld : null;
  const gap = summary.reconnectGapMs.afterDrain;
  const requests = summary.requests;
  return {
    name: 'reconnect',
    title: 'Client reconnects to the other replica',
    checks: [
      check('reconnected to another replica', hello[1] !== drained.name, `now on ${hello[1]}`),
      check('business data resumed', firstNew !== undefined, 'data frame received on the new connection'),
      check('no sequence gap (no data lost)', summary.frames.seqGaps === 0, `seqGaps=${summary.frames.seqGaps}`),
      check(
        'every request answered exactly once',
        requests !== null && requests.outstanding === 0 && requests.completed === requests.created && requests.duplicates === 0,
        requests ? `created ${requests.created}, completed ${requests.completed}, duplicates ${requests.duplicates}` : 'n/a',
      ),
    ],
    targets: [gapTarget(ctx, 'reconnect gap after the drain (seed client)', gap.max, GAP_TARGET_MS)],
    metrics: {
      newPod: hello[1] ?? null,
      reconnectGapMs: gap.max,
      dataGapMs,
      dataIntervalMs: ctx.options.dataIntervalMs,
      seqGaps: summary.frames.seqGaps,
      requestsCreated: requests?.created ?? null,
      requestsCompleted: requests?.completed ?? null,
      requestsResent: requests?.resent ?? null,
    },
    excerpts: [
      {
        source: 'client',
        lines: excerpt(
          client.log,
          [
            /Connection closed, will reconnect/,
            /Reconnecting in \d+ ms/,
            /Connecting to/,
            /Received: \{"type":"hello"/,
            /Received: \{"type":"data".*"final":false/,
            /Client summary/,
          ],
          closedAt,
        ),
      },
    ],
  };
}
