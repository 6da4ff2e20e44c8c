import { check, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { step } from '@app/standin';
import { excerpt, summaryLine } from '../log-lines.js';
import { startLoadClient } from './load-client.js';

/** Scenario 5: SIGKILL a replica. Requests must survive (outbox); frames in flight may not. */
export async function crashScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const { clients } = ctx.options;
  ctx.progress.phase(`scenario 5: connecting ${clients} clients`);
  const client = await startLoadClient(ctx);
  const victim = ctx.deployment.busiest();
  const onVictim = ctx.service.activeConnections().get(victim.name) ?? 0;
  ctx.progress.phase(`scenario 5: SIGKILL ${victim.name} (${onVictim} clients)`);
  const from = client.log.lines.length;
  await ctx.deployment.crashPod(victim);
  await client.allConnected(clients, client.log.lines.length);
  const summary = await client.finish();

  const requests = summary.requests;
  const gap = summary.reconnectGapMs.afterFailure;
  return {
    name: 'crash',
    title: 'Crash: SIGKILL of one replica',
    checks: [
      check('every client reconnected', summary.reconnects >= onVictim, `${summary.reconnects} reconnects for ${onVictim} cut clients`),
      check(
        'no request lost (outbox re-sent the unanswered ones)',
        requests !== null && requests.outstanding === 0 && requests.completed === requests.created,
        requests ? `created ${requests.created}, completed ${requests.completed}, re-sent ${requests.resent}` : 'n/a',
      ),
      check('no result delivered twice', requests?.duplicates === 0, `duplicates suppressed: ${requests?.duplicates}`),
    ],
    targets: [],
    metrics: {
      pod: victim.name,
      clientsCut: onVictim,
      reconnectGapP50Ms: gap.p50,
      reconnectGapP99Ms: gap.p99,
      reconnectGapMaxMs: gap.max,
      requestsResent: requests?.resent ?? null,
      // What a crash can lose and no client can count: frames the server had written to its socket
      // but the kernel never delivered. Sequence numbers restart on the new connection.
      framesInFlightLost: 'not measurable: the server died with its send buffer',
    },
    excerpts: [
      {
        source: 'load client',
        lines: [
          ...excerpt(
            client.log,
            [step('connection_ended', ({ how }) => how === 'failure'), step('reconnect_scheduled', ({ attempt }) => attempt !== undefined)],
            from,
          ),
          ...summaryLine(client.log),
        ],
      },
    ],
  };
}
