import { Deployment, EndpointsController, step, TcpForwarder } from '@app/standin';
import { check, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { excerpt, summaryLine } from '../log-lines.js';
import { startStreamClients } from './stream-clients.js';

/**
 * Scenario 7, the control: the same channel with `STREAM_BACKEND=memory` on two replicas of
 * their own. History lives and dies with each process, so a subscriber moved by a drain cannot
 * resume where it was: the server says so (`recovered: false`) and the client counts it. The
 * check passes only if that loss shows — proof that the stream checks can fail, and the reason
 * the Redis backend exists.
 */
export async function streamControlScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const { probePeriodMs, preStopMs, gracePeriodMs, propagationMs } = ctx.options;
  const clients = Math.min(ctx.options.clients, 20);
  const service = new TcpForwarder();
  const url = `ws://127.0.0.1:${await service.listen()}/ws`;
  const endpoints = new EndpointsController(service, propagationMs, ctx.timeline);
  const deployment = new Deployment(
    { name: 'memory-control', replicas: 2, env: { ...ctx.serverEnv, STREAM_BACKEND: 'memory' }, probePeriodMs, preStopMs, gracePeriodMs },
    service,
    endpoints,
    ctx.timeline,
  );
  try {
    ctx.progress.phase('scenario 7: a memory-backend Deployment of 2 replicas');
    await deployment.scaleUp();
    const channel = `control.${Date.now().toString(36)}`;
    const { subscribers, publisher } = await startStreamClients(ctx, channel, { serviceUrl: url, clients });
    await subscribers.expectEvent('client_stats', ({ stream }) => (stream?.received ?? 0) > 0);
    const victim = deployment.busiest();
    const moved = service.activeConnections().get(victim.name) ?? 0;
    ctx.progress.phase(`scenario 7: graceful delete of ${victim.name} (${moved} connections)`);
    await deployment.deletePod(victim);
    await subscribers.allConnected(clients, subscribers.log.lines.length);
    const published = (await publisher.finish()).stream;
    const received = (await subscribers.finish()).stream;
    const unrecoverable = received?.unrecoverable ?? 0;
    return {
      name: 'stream-control',
      title: 'Control: the same channel on the memory backend loses history across a drain',
      checks: [
        check(
          'the loss shows: subscribers that moved were told their history is gone (unrecoverable > 0)',
          unrecoverable > 0,
          `unrecoverable ${unrecoverable} for ${moved} connections moved off ${victim.name}; memory history and epochs die with the process, ` +
            'and each replica has its own, so a moved subscriber cannot resume — the Redis backend is what makes it whole',
        ),
      ],
      targets: [],
      metrics: {
        channel,
        subscribers: clients,
        connectionsMoved: moved,
        entriesPublished: published?.published.acked ?? null,
        entriesDelivered: received?.received ?? null,
        unrecoverable,
        gaps: received?.gaps ?? null,
      },
      excerpts: [{ source: 'subscribers', lines: [...excerpt(subscribers.log, [step('channel_loss')]), ...summaryLine(subscribers.log)] }],
    };
  } finally {
    await deployment.teardown();
    await service.close();
  }
}
