import { frameStep, step } from '@app/standin';
import { check, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { excerpt, inOrder, warnings } from '../log-lines.js';
import { ensureSeedClient } from './normal.scenario.js';

/** Scenario 2: delete the pod holding the client; the server drains it and exits 0 in time. */
export async function gracefulScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const client = await ensureSeedClient(ctx);
  const pod = ctx.deployment.busiest();
  ctx.drainedPod = pod;
  ctx.drainLogIndex = client.log.lines.length;
  const from = ctx.drainLogIndex;
  ctx.progress.phase(`scenario 2: deleting ${pod.name} (preStop ${ctx.options.preStopMs} ms)`);
  const { termination } = await ctx.deployment.deletePod(pod);
  // The client moves on at the drain marker; its old socket's close frame is logged when it lands.
  const closeCode = (await client.expectEvent('socket_closed', undefined, from)).code;

  const server = pod.process.log;
  const summary = server.events('drain_complete')[0];
  const finalData = frameStep('final data', ({ type, final }) => type === 'data' && final === true);
  const clientSequence = [
    frameStep('shutdown', ({ type }) => type === 'shutdown'),
    step('drain_notice_received'),
    finalData,
    finalData,
    frameStep('close', ({ type }) => type === 'close'),
    step('drain_marker_received'),
    step('connection_ended', ({ how }) => how === 'drain'),
  ];
  const serverSequence = [
    step('drain_started'),
    step('drain_final_data', ({ items }) => items === 2),
    step('client_disconnected'),
    step('drain_complete'),
  ];
  const serverWarnings = warnings(server, Math.max(0, server.indexOfEvent('drain_started')));
  const { gracePeriodMs, preStopMs } = ctx.options;
  return {
    name: 'graceful',
    title: 'Graceful shutdown of the pod holding the client',
    checks: [
      check('server logged the drain in order', inOrder(server, serverSequence), 'signal → final items → disconnect → complete'),
      check(
        'client got the notice, final data and close marker in order',
        inOrder(client.log, clientSequence, from),
        'shutdown → data(final) ×2 → close → reconnect',
      ),
      check('server closed the old connection with 1001', closeCode === 1001, `close code ${closeCode}`),
      check('server exited 0', termination.exit.code === 0, JSON.stringify(termination.exit)),
      check(
        'exited within the grace period, not SIGKILLed',
        !termination.killed && termination.totalMs < gracePeriodMs,
        `${termination.totalMs} ms of ${gracePeriodMs} ms`,
      ),
      check('no client cut at the drain deadline', summary?.cutAtDeadline === 0, `cut ${summary?.cutAtDeadline ?? 'unknown'}`),
      // The original program logged write errors on the connections it closed under the drain.
      check('no warning or error logged by the server during the drain', serverWarnings.length === 0, serverWarnings.join('; ') || 'none'),
    ],
    targets: [
      {
        name: 'pod shutdown dominated by the preStop delay, not the drain',
        goal: `SIGTERM → exit < preStop (${preStopMs} ms)`,
        measured: `SIGTERM → exit ${termination.sigtermToExitMs} ms (drain ${summary?.durationMs ?? '?'} ms)`,
        met: termination.sigtermToExitMs < preStopMs,
      },
    ],
    metrics: {
      pod: pod.name,
      preStopMs: termination.preStopMs,
      sigtermToExitMs: termination.sigtermToExitMs,
      shutdownTotalMs: termination.totalMs,
      drainMs: summary?.durationMs ?? null,
      clientsDrained: summary?.clients ?? null,
      framesFlushed: summary?.framesFlushed ?? null,
      configuredPreStopMs: preStopMs,
    },
    excerpts: [
      { source: `server ${pod.name}`, lines: excerpt(server, serverSequence) },
      { source: 'client', lines: excerpt(client.log, clientSequence, from) },
    ],
  };
}
