import { check, gapTarget, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { frameStep, receivedFrame, step, type ReceivedFrame } from '@app/standin';
import { excerpt, summaryLine } from '../log-lines.js';
import { GAP_TARGET_MS } from './targets.js';

/** Epoch ms of a data frame's `payload.at` (the server's clock, the same machine). */
function dataAt(frame: ReceivedFrame): number | undefined {
  if (frame.type !== 'data') return undefined;
  const at = (frame.payload as { at?: unknown } | undefined)?.at;
  return typeof at === 'string' ? Date.parse(at) : undefined;
}

/** Scenario 3: the client resumes on another replica; measures the reconnect and data gaps. */
export async function reconnectScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const client = ctx.seedClient;
  const drained = ctx.drainedPod;
  const from = ctx.drainLogIndex;
  if (!client || !drained || from === undefined) throw new Error('the reconnect scenario follows the graceful one');
  const closedAt = client.log.indexOfEvent('connection_ended', undefined, from);
  const newPod = String((await client.expectFrame(({ type }) => type === 'hello', closedAt)).serverId);
  const resumed = await client.expectFrame(({ type, final }) => type === 'data' && final === false, closedAt);
  const summary = await client.finish();

  let lastOld: number | undefined;
  for (let index = from; index < closedAt; index++) {
    const received = client.log.eventAt(index, 'frame_received');
    lastOld = (received && dataAt(receivedFrame(received.text))) ?? lastOld;
  }
  const firstNew = dataAt(resumed);
  const dataGapMs = lastOld !== undefined && firstNew !== undefined ? firstNew - lastOld : null;
  const gap = summary.reconnectGapMs.afterDrain;
  const requests = summary.requests;
  return {
    name: 'reconnect',
    title: 'Client reconnects to the other replica',
    checks: [
      check('reconnected to another replica', newPod !== drained.name, `now on ${newPod}`),
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
      newPod,
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
        lines: [
          ...excerpt(
            client.log,
            [
              step('connection_ended'),
              step('reconnect_scheduled'),
              step('client_connecting'),
              frameStep('hello', ({ type }) => type === 'hello'),
              frameStep('data', ({ type, final }) => type === 'data' && final === false),
            ],
            closedAt,
          ),
          ...summaryLine(client.log),
        ],
      },
    ],
  };
}
