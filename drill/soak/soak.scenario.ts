import { setTimeout as delay } from 'node:timers/promises';
import { type ClientProcess, runningChildren, type ServerPod, type Termination, until } from '@app/standin';
import type { ClientSummary, GapSummary } from '@app/contract';
import { check, type Check, type DrillContext, type ScenarioResult } from '../drill.context.js';
import { readableLines } from '../log-lines.js';
import { startLoadClient } from '../scenarios/load-client.js';
import { readHistory, settleStream, startStreamClients, type History, type StreamClients } from '../scenarios/stream-clients.js';
import { FAULT_KINDS, FaultPlan, choose, type FaultKind, type PlannedFault } from './fault-plan.js';

/** One fault as it happened. */
interface FaultRecord {
  index: number;
  kind: FaultKind;
  /** ms since the drill started. */
  at: number;
  pod?: string;
  /** What the fault found or chose, for the report (how far a replica lagged, what was in flight). */
  detail?: string;
  /** A deleted pod's termination (graceful delete, rolling step), awaited at the end. */
  termination?: Promise<Termination>;
}

/** The soak's moving parts: the request fleet (replaced on a client restart) and the channel's clients. */
interface SoakClients {
  load: ClientProcess;
  /** Summaries of the load clients stopped so far (one per restart). */
  finished: ClientSummary[];
  /** The end of the log of each load client that stopped with work unanswered, for the report. */
  unfinished: { source: string; lines: string[] }[];
  /** Load clients SIGKILLed: their unanswered work died with them, so no ledger covers it. */
  killed: number;
  stream?: StreamClients & { channel: string; from: number; lost: History[] };
}

/**
 * A stopping load client, or the publisher, waits this long for its outstanding results. Faults
 * stack (every pod down at once, then clients in a long backoff; Redis refusing publishes until
 * its replica has synced again, while the publisher's backlog grows): the 10 s default would give
 * up on work the system still answers, and a soak would read that as a loss.
 */
const CLIENT_EXIT_TIMEOUT_MS = 60_000;

/** How long Redis pauses writes for the read of what it is about to lose (the crash follows at once). */
const WRITE_PAUSE_MS = 30_000;

/** How far behind its master a `redis-lagging-failover` holds the replica: under, near and past PUBLISH_REPLICA_TIMEOUT_MS (2 s). */
const REPLICA_LAGS_MS = [300, 1000, 3000];

/**
 * Scenario "soak": `--events` random faults (`FAULT_KINDS`: pod deletes, SIGKILLs, rolling
 * steps, scaling, endpoint-propagation spikes, Redis restarts with and without its data, Sentinel
 * failovers to a replica in sync and to one held behind, client restarts and SIGKILLs) at random
 * spacing, all drawn from `--seed`, while the request fleet and (with Redis) a publisher and its
 * subscribers run. Then a quiet period and a ledger checked exactly: every request created was
 * completed once, every confirmed publish is in the stream once (or in what Redis lost), every
 * subscriber has every offset Redis kept, once, and was told of each loss and of nothing else
 * (a failover loses nothing confirmed: PUBLISH_MIN_REPLICAS=1), every deleted pod exited 0
 * within its grace period, and no process was left behind.
 */
export async function soakScenario(ctx: DrillContext): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const { soak, clients, probePeriodMs } = ctx.options;
  const plan = new FaultPlan(soak.seed, { min: probePeriodMs, max: probePeriodMs * 10 });
  ctx.progress.note(
    soak.minutes === undefined
      ? `soak: seed ${soak.seed} (replay with --soak --seed ${soak.seed} --events ${soak.events})`
      : `soak: seed ${soak.seed}, faults for ${soak.minutes} min (the replay's --events is printed at the end)`,
  );

  ctx.progress.phase(`soak: connecting ${clients} clients`);
  const parts: SoakClients = { load: await startLoadClient(ctx, LOAD_ENV), finished: [], unfinished: [], killed: 0 };
  if (ctx.redis.admin) {
    const channel = `soak.${soak.seed}.${Date.now().toString(36)}`;
    const stream = await startStreamClients(ctx, channel, { publisherExitTimeoutMs: CLIENT_EXIT_TIMEOUT_MS });
    parts.stream = { ...stream, channel, from: stream.subscribers.log.lines.length, lost: [] };
  }

  try {
    return await soakAndSettle(ctx, plan, parts);
  } catch (err) {
    // A soak that breaks leaves no client behind (the drill tears the pods and Redis down).
    const running = [parts.load, parts.stream?.subscribers, parts.stream?.publisher].filter((process) => process !== undefined);
    await Promise.all(running.map((process) => process.kill()));
    throw err;
  }
}

const LOAD_ENV = { EXIT_TIMEOUT_MS: String(CLIENT_EXIT_TIMEOUT_MS) };

/** The faults, the quiet period, and the ledger over everything that ran. */
async function soakAndSettle(
  ctx: DrillContext,
  plan: FaultPlan,
  parts: SoakClients,
): Promise<Omit<ScenarioResult, 'startedAt' | 'durationMs'>> {
  const { soak, clients } = ctx.options;
  const faults: FaultRecord[] = [];
  const skipped: FaultKind[] = [];
  const endAt = soak.minutes === undefined ? Number.POSITIVE_INFINITY : Date.now() + soak.minutes * 60_000;
  const of = Number.isFinite(soak.events) ? `/${soak.events}` : '';
  let events = 0;
  while (events < soak.events && Date.now() < endAt) {
    const index = ++events;
    const planned = plan.next();
    await delay(planned.afterMs);
    if (!applicable(ctx, planned.kind)) {
      skipped.push(planned.kind);
      continue;
    }
    ctx.progress.phase(`soak: fault ${index}${of}: ${planned.kind}`);
    faults.push(await inflict(ctx, parts, { ...planned, index }));
  }
  if (soak.minutes !== undefined)
    ctx.progress.note(`soak: ${events} faults planned (replay with --soak --seed ${soak.seed} --events ${events})`);

  ctx.progress.phase('soak: quiet period, every client back');
  const terminations = await Promise.all(faults.map(async (fault) => ({ fault, termination: await fault.termination })));
  await parts.load.allConnected(clients, parts.load.log.lines.length);
  const streamLedger =
    parts.stream && ctx.redis.admin
      ? await settleStream(ctx.redis.admin, parts.stream.channel, parts.stream, parts.stream.from, parts.stream.lost)
      : undefined;
  await finishLoad(parts, 'the last load client, after the quiet period');
  const summaries = parts.finished;
  const stalls = deliveryStalls(ctx, faults);

  const deleted = terminations.filter(
    (entry): entry is { fault: FaultRecord; termination: Termination } => entry.termination !== undefined,
  );
  const requests = summaries.map((summary) => summary.requests);
  const total = (pick: (r: NonNullable<ClientSummary['requests']>) => number): number =>
    requests.reduce((sum, r) => sum + (r ? pick(r) : 0), 0);
  const live = ctx.deployment.live();
  const checks: Check[] = [
    check(
      'every request created was completed, none outstanding after the quiet period, none answered twice',
      requests.every(Boolean) &&
        total((r) => r.completed) === total((r) => r.created) &&
        total((r) => r.outstanding) === 0 &&
        total((r) => r.duplicates) === 0,
      `${summaries.length} client incarnations: created ${total((r) => r.created)}, completed ${total((r) => r.completed)}, ` +
        `outstanding ${total((r) => r.outstanding)}, duplicates ${total((r) => r.duplicates)}, resent ${total((r) => r.resent)}` +
        (parts.killed > 0 ? `; ${parts.killed} more SIGKILLed (their unanswered work died with them, outside this ledger)` : ''),
    ),
    check(
      'no sequence gap (no data lost)',
      summaries.every((s) => s.frames.seqGaps === 0),
      `seqGaps ${summaries.reduce((sum, s) => sum + (s.frames.seqGaps ?? 0), 0)} over ${summaries.length} client incarnations` +
        `${summaries.some((s) => s.frames.seqGaps !== 0) ? ` (each: ${summaries.map((s) => s.frames.seqGaps).join(', ')})` : ''}`,
    ),
    check(
      'every deleted pod exited 0 within its grace period',
      deleted.every(({ termination: t }) => t.exit.code === 0 && !t.killed && t.totalMs < ctx.options.gracePeriodMs),
      `${deleted.length} deleted; slowest ${Math.max(0, ...deleted.map(({ termination: t }) => t.totalMs))} ms; ` +
        `not clean: ${
          deleted
            .filter(({ termination: t }) => t.exit.code !== 0 || t.killed)
            .map(({ termination: t }) => `${t.pod} ${JSON.stringify(t.exit)}`)
            .join('; ') || 'none'
        }`,
    ),
    check(
      'the Deployment has its replicas, and no deleted or killed pod process is left running',
      live.length === ctx.deployment.replicas &&
        ctx.deployment.pods.filter((pod) => !live.includes(pod)).every((pod) => !pod.process.running),
      `${live.length} live of ${ctx.deployment.replicas} desired; ${ctx.deployment.pods.length} pods created in all`,
    ),
    leftBehindCheck(ctx),
    ...(streamLedger?.checks ?? []),
  ];
  if (!streamLedger && ctx.options.requireRedis)
    checks.push(check('Redis available for the stream ledger (--require-redis)', false, ctx.redis.missing ?? ''));

  return {
    name: 'soak',
    title: `Soak: ${events} random faults under load (seed ${soak.seed})`,
    checks,
    targets: [],
    metrics: {
      seed: soak.seed,
      events,
      faultsInflicted: faults.length,
      ...Object.fromEntries(FAULT_KINDS.map((kind) => [`faults.${kind}`, faults.filter((fault) => fault.kind === kind).length])),
      clientIncarnations: summaries.length,
      clientsKilled: parts.killed,
      redisDataLosses: parts.stream?.lost.length ?? null,
      entriesLostWithRedis: streamLedger?.lostEntries ?? null,
      phantomDeliveries: streamLedger?.phantoms ?? null,
      requestsCreated: total((r) => r.created),
      requestsResent: total((r) => r.resent),
      entriesPublished: streamLedger?.published?.published.acked ?? null,
      entriesDelivered: streamLedger?.received?.received ?? null,
      maxStallMs: streamLedger?.received?.maxStallMs ?? null,
    },
    tables: [
      {
        title:
          'Faults by kind, with the worst reconnect gap of the clients each one moved, and the longest delivery stall that began ' +
          'between one of them and the next fault (the subscribers received nothing new; resolution: their stats interval)',
        header: [
          'fault',
          'inflicted',
          'skipped (did not apply then)',
          'pods hit',
          'worst gap p99 ms',
          'worst gap max ms',
          'worst delivery stall ms',
        ],
        rows: FAULT_KINDS.map((kind) => {
          const ofKind = faults.filter((fault) => fault.kind === kind);
          const gaps = ofKind.flatMap((fault) => gapsOf(fault, summaries));
          const notApplied = skipped.filter((skippedKind) => skippedKind === kind).length;
          return [
            kind,
            ofKind.length,
            notApplied,
            ofKind.filter((fault) => fault.pod).length,
            worst(gaps, 'p99'),
            worst(gaps, 'max'),
            largest(ofKind.map((fault) => stalls.get(fault))),
          ];
        }),
      },
    ],
    excerpts: [
      {
        source: 'soak faults',
        lines: faults.map(
          (fault) =>
            `${(fault.at / 1000).toFixed(1)} s  #${fault.index} ${fault.kind}${fault.pod ? ` ${fault.pod}` : ''}${fault.detail ? ` (${fault.detail})` : ''}`,
        ),
      },
      ...parts.unfinished,
    ],
  };
}

/** Whether `kind` makes sense now: replicas between 1 and two more than asked, a ready pod to hit, Redis ours to restart. */
function applicable(ctx: DrillContext, kind: FaultKind): boolean {
  const { replicas } = ctx.deployment;
  const serving = servingPods(ctx).length;
  if (kind === 'scale-out') return replicas < ctx.options.replicas + 2;
  if (kind === 'scale-in') return replicas > 1 && serving > 0;
  if (kind.startsWith('redis-')) return ctx.redis.group !== undefined;
  if (kind === 'graceful-delete' || kind === 'sigkill' || kind === 'rolling-step') return serving > 0;
  return true;
}

/**
 * The pods a fault may hit: live and ready. (A pod still starting is left alone: the stand-in's
 * pod start is not built to be killed halfway, though a real one may be.)
 */
function servingPods(ctx: DrillContext): ServerPod[] {
  return ctx.deployment.live().filter((pod) => pod.ready);
}

/** Carries out one planned fault. */
async function inflict(ctx: DrillContext, parts: SoakClients, fault: PlannedFault & { index: number }): Promise<FaultRecord> {
  const { deployment, timeline } = ctx;
  const target = (): ServerPod => choose(servingPods(ctx), fault.roll);
  const mark = (pod?: ServerPod): FaultRecord => ({
    index: fault.index,
    kind: fault.kind,
    at: timeline.record('fault', { detail: fault.kind, pod: pod?.name }).t,
    pod: pod?.name,
  });
  switch (fault.kind) {
    case 'graceful-delete': {
      const pod = target();
      const record = mark(pod);
      const termination = deployment.deletePod(pod).then((deleted) => deleted.termination);
      // Awaited after the last fault; until then a failure must not count as unhandled.
      termination.catch(() => undefined);
      return { ...record, termination };
    }
    case 'sigkill': {
      const pod = target();
      const record = mark(pod);
      await deployment.crashPod(pod);
      return record;
    }
    case 'rolling-step': {
      const pod = target();
      const record = mark(pod);
      const { termination } = await deployment.rollStep(pod);
      termination.catch(() => undefined);
      return { ...record, termination };
    }
    case 'scale-out': {
      const record = mark();
      const pod = await deployment.scaleOut();
      return { ...record, pod: pod.name };
    }
    case 'scale-in': {
      const pod = target();
      const termination = deployment.scaleIn(pod);
      termination.catch(() => undefined);
      return { ...mark(pod), termination };
    }
    case 'propagation-spike': {
      // Endpoint changes lag by up to ten extra probe periods, for as long again: new
      // connections keep reaching pods that are already draining (and get 503).
      const extraMs = choose([2, 5, 10], fault.roll) * ctx.options.probePeriodMs;
      ctx.endpoints.spike(extraMs, extraMs);
      return mark();
    }
    case 'redis-restart': {
      // Append-only with fsync always, back before Sentinel's down-after: everything confirmed
      // survives; while it is down, publishes and subscribes are answered UNAVAILABLE and the
      // clients try again.
      const record = mark();
      await ctx.redis.group!.restartMaster();
      return record;
    }
    case 'redis-data-loss': {
      // A Redis without persistence losing its pods: every key gone, on the master and the
      // replica alike. What it held for the channel is read first, with writes paused so that
      // nothing lands between that read and the crash.
      const record = mark();
      if (parts.stream) {
        await ctx.redis.admin!.call('CLIENT', 'PAUSE', String(WRITE_PAUSE_MS), 'WRITE');
        parts.stream.lost.push(await readHistory(ctx.redis.admin!, parts.stream.channel));
      }
      await ctx.redis.group!.loseEverything();
      return record;
    }
    case 'redis-failover':
    case 'redis-lagging-failover': {
      // The master SIGKILLed, Sentinel promotes the replica (in sync, or held behind with appends
      // on their way), and the old master comes back empty as the new one's replica: until then
      // nothing is confirmed (PUBLISH_MIN_REPLICAS=1).
      const group = ctx.redis.group!;
      let detail = 'replica in sync';
      if (fault.kind === 'redis-lagging-failover') {
        const lagMs = choose(REPLICA_LAGS_MS, fault.roll);
        await group.lagReplicas(lagMs);
        // Appends in flight when the master dies, if the publisher is sending (it may be backing off).
        const inFlight = await until('appends on their way to the replica', () => Promise.resolve(group.delayedBytes > 0), lagMs * 2).then(
          () => true,
          () => false,
        );
        detail = `replica ${lagMs} ms behind, ${inFlight ? `${group.delayedBytes} bytes in flight` : 'nothing in flight'}`;
      }
      const record = { ...mark(), detail };
      const old = await group.masterPort();
      await group.killMasterAndAwaitPromotion();
      await group.restartNode(old);
      return record;
    }
    case 'client-restart': {
      const record = mark();
      await finishLoad(parts, `the load client stopped by fault #${fault.index}`);
      parts.load = await startLoadClient(ctx, LOAD_ENV);
      return record;
    }
    case 'client-kill': {
      const record = mark();
      await parts.load.kill();
      parts.killed++;
      parts.load = await startLoadClient(ctx, LOAD_ENV);
      return record;
    }
  }
}

/** Lines of a load client's log kept when it stops with work unanswered: enough to see why. */
const UNFINISHED_LOG_LINES = 300;

/** Stops the current load client; keeps its summary, and the end of its log if work was left. */
async function finishLoad(parts: SoakClients, which: string): Promise<void> {
  const summary = await parts.load.finish();
  parts.finished.push(summary);
  const left = summary.requests?.outstanding ?? 0;
  if (left > 0)
    parts.unfinished.push({
      source: `${which}: ${left} requests unanswered at its exit`,
      lines: readableLines(parts.load.log, Math.max(0, parts.load.log.lines.length - UNFINISHED_LOG_LINES)),
    });
}

/** Faults that end the connections of the pod they hit (a scale-out's pod is new: it moves nobody). */
const MOVES_CLIENTS: readonly FaultKind[] = ['graceful-delete', 'sigkill', 'rolling-step', 'scale-in'];

/** The reconnect gaps of the clients a fault moved, as each client incarnation summarised them. */
function gapsOf(fault: FaultRecord, summaries: ClientSummary[]): GapSummary[] {
  if (!fault.pod || !MOVES_CLIENTS.includes(fault.kind)) return [];
  const byServer =
    fault.kind === 'sigkill'
      ? (s: ClientSummary) => s.reconnectGapMs.afterFailureByServer
      : (s: ClientSummary) => s.reconnectGapMs.afterDrainByServer;
  return summaries.map((summary) => byServer(summary)[fault.pod!]).filter((gap): gap is GapSummary => gap !== undefined);
}

function worst(gaps: GapSummary[], figure: 'p99' | 'max'): number | null {
  return largest(gaps.map((gap) => gap[figure]));
}

/** The largest of the figures measured; null when none was. */
function largest(values: (number | null | undefined)[]): number | null {
  const measured = values.filter((value): value is number => value !== null && value !== undefined);
  return measured.length === 0 ? null : Math.max(...measured);
}

/**
 * Per fault, the longest time the subscribers as a fleet received nothing new, among the stalls
 * that began between that fault and the next one (from their stats lines on the timeline).
 */
function deliveryStalls(ctx: DrillContext, faults: FaultRecord[]): Map<FaultRecord, number> {
  const delivered = ctx.timeline.events.filter((event) => event.kind === 'stream-delivered');
  const stalls = new Map<FaultRecord, number>();
  let since = delivered[0];
  for (const event of delivered.slice(1)) {
    if (since === undefined || (event.value ?? 0) <= (since.value ?? 0)) continue;
    const stallMs = event.t - since.t;
    const began = since.t;
    const fault = faults.findLast((candidate) => candidate.at <= began);
    if (fault && stallMs > (stalls.get(fault) ?? 0)) stalls.set(fault, stallMs);
    since = event;
  }
  return stalls;
}

/**
 * No process of the drill's is left behind: among the drill's own child processes only the live
 * pods, the soak's Redis nodes and sentinels and nothing else may still run (read from /proc; Linux only).
 */
function leftBehindCheck(ctx: DrillContext): Check {
  const name = 'no process left behind (every child of the drill but the live pods and Redis has exited)';
  const children = runningChildren(process.pid);
  if (children === undefined) return check(name, true, 'not checked: no /proc on this system');
  const expected = new Set([...ctx.deployment.live().map((pod) => pod.process.pid), ...(ctx.redis.group?.pids ?? [])]);
  const stray = children.filter((child) => !expected.has(child.pid));
  return check(
    name,
    stray.length === 0,
    `${children.length} children running; left behind: ${stray.map((child) => `${child.pid} ${child.command}`).join('; ') || 'none'}`,
  );
}
