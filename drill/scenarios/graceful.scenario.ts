import { check, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { excerpt, inOrder } from '../log-lines.js';
import { ensureSeedClient } from './normal.scenario.js';

export const DRAIN_SUMMARY = /Graceful shutdown complete: drained (\d+) clients, flushed (\d+) frames, cut (\d+) at deadline, in (\d+) ms/;

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
  const closeCode = Number((await client.expectLine(/Socket closed with (\d+)/, from))[1]);

  const server = pod.process.log;
  const summary = server.lines.map((line) => DRAIN_SUMMARY.exec(line)).find(Boolean);
  const [drained, flushed, cut, drainMs] = summary ? summary.slice(1).map(Number) : [];
  const clientSequence = [
    /Received: \{"type":"shutdown"/,
    /Server is shutting down, processing remaining data\.\.\./,
    /Received: \{"type":"data".*"final":true/,
    /Received: \{"type":"data".*"final":true/,
    /Received: \{"type":"close"/,
    /Server sent close signal/,
    /Connection closed, will reconnect\.\.\./,
  ];
  const serverSequence = [
    /Received shutdown signal, starting graceful shutdown\.\.\./,
    /Sending 2 additional business data items/,
    /Client disconnected/,
    /Graceful shutdown complete/,
  ];
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
      check('no client cut at the drain deadline', cut === 0, `cut ${cut ?? 'unknown'}`),
      check(
        'no write to a closed connection logged',
        server.count(/Write error|closed network connection/) === 0,
        `${server.count(/Write error|closed network connection/)} such lines`,
      ),
    ],
    targets: [
      {
        name: 'pod shutdown dominated by the preStop delay, not the drain',
        goal: `SIGTERM → exit < preStop (${preStopMs} ms)`,
        measured: `SIGTERM → exit ${termination.sigtermToExitMs} ms (drain ${drainMs ?? '?'} ms)`,
        met: termination.sigtermToExitMs < preStopMs,
      },
    ],
    metrics: {
      pod: pod.name,
      preStopMs: termination.preStopMs,
      sigtermToExitMs: termination.sigtermToExitMs,
      shutdownTotalMs: termination.totalMs,
      drainMs: drainMs ?? null,
      clientsDrained: drained ?? null,
      framesFlushed: flushed ?? null,
      configuredPreStopMs: preStopMs,
    },
    excerpts: [
      { source: `server ${pod.name}`, lines: excerpt(server, serverSequence) },
      { source: 'client', lines: excerpt(client.log, clientSequence, from) },
    ],
  };
}
