import { parseArgs } from 'node:util';
import { FaultPlan } from './soak/fault-plan.js';

/** The drill's scenarios, in order; all of them run by default. */
export const SCENARIOS = ['normal', 'graceful', 'reconnect', 'rolling', 'crash', 'stream', 'stream-control', 'redis-failover'] as const;
/** `soak` runs on its own, with `--soak`. */
export type ScenarioName = (typeof SCENARIOS)[number] | 'soak';

export interface DrillOptions {
  replicas: number;
  clients: number;
  scenarios: ScenarioName[];
  /** How long scenario 1 watches normal traffic. */
  normalMs: number;
  dataIntervalMs: number;
  requestIntervalMs: number;
  workMs: number;
  propagationMs: number;
  preStopMs: number;
  gracePeriodMs: number;
  drainTimeoutMs: number;
  probePeriodMs: number;
  /** Entries per second the stream scenarios' publisher appends. */
  publishRate: number;
  /** An existing Redis for the stream scenarios; otherwise the drill starts its own redis-server. */
  redisUrl: string | undefined;
  /** Without Redis the stream scenario fails instead of being reported as not run. */
  requireRedis: boolean;
  output: string;
  quick: boolean;
  /**
   * `--soak`: how many random faults (no limit with only `--minutes`), for how many minutes at
   * most, and the seed they are drawn from.
   */
  soak: { events: number; minutes: number | undefined; seed: number };
}

const FULL: Omit<DrillOptions, 'scenarios' | 'output' | 'quick' | 'redisUrl' | 'requireRedis' | 'soak'> & { soakEvents: number } = {
  replicas: 2,
  clients: 100,
  normalMs: 5000,
  dataIntervalMs: 2000,
  requestIntervalMs: 3000,
  workMs: 500,
  propagationMs: 300,
  preStopMs: 2000,
  gracePeriodMs: 30_000,
  drainTimeoutMs: 20_000,
  probePeriodMs: 1000,
  publishRate: 50,
  soakEvents: 100,
};

/** `--quick`: the same scenarios with short intervals and fewer clients, well under a minute. */
const QUICK: typeof FULL = {
  ...FULL,
  clients: 20,
  normalMs: 1000,
  dataIntervalMs: 200,
  requestIntervalMs: 200,
  workMs: 50,
  propagationMs: 100,
  preStopMs: 300,
  gracePeriodMs: 10_000,
  drainTimeoutMs: 5000,
  probePeriodMs: 100,
  soakEvents: 12,
};

export const HELP = `Usage: npm run drill -- [options]

Runs the seed report's scenarios, and those it never tried, against real server and client
processes on a local stand-in cluster (pods, a Service, pod deletion and rolling updates as
Kubernetes does them), then writes reports/<timestamp>/report.md, results.json and timeline.svg.
Exits non-zero if any check fails.

Options (defaults in brackets; --quick changes the timing defaults, explicit options still win):
  --replicas N            server replicas in the Deployment [${FULL.replicas}]
  --clients N             virtual clients for the rolling update and crash scenarios [${FULL.clients}; quick ${QUICK.clients}]
  --scenarios LIST        comma-separated subset of ${SCENARIOS.join(',')} [all];
                          reconnect follows graceful, so it brings graceful along
  --normal-ms MS          how long scenario 1 watches normal traffic [${FULL.normalMs}; quick ${QUICK.normalMs}]
  --data-interval-ms MS   server business data interval (DATA_INTERVAL_MS) [${FULL.dataIntervalMs}; quick ${QUICK.dataIntervalMs}]
  --request-interval-ms MS  client request interval (REQUEST_INTERVAL_MS) [${FULL.requestIntervalMs}; quick ${QUICK.requestIntervalMs}]
  --work-ms MS            simulated work per request (WORK_MS) [${FULL.workMs}; quick ${QUICK.workMs}]
  --propagation-ms MS     endpoint propagation delay (kube-proxy/Cilium lag) [${FULL.propagationMs}; quick ${QUICK.propagationMs}]
  --prestop-ms MS         preStop sleep before SIGTERM [${FULL.preStopMs}; quick ${QUICK.preStopMs}]
  --grace-ms MS           terminationGracePeriod: SIGKILL after this, counted from deletion [${FULL.gracePeriodMs}; quick ${QUICK.gracePeriodMs}]
  --drain-timeout-ms MS   server DRAIN_TIMEOUT_MS [${FULL.drainTimeoutMs}; quick ${QUICK.drainTimeoutMs}]
  --probe-period-ms MS    readiness probe period [${FULL.probePeriodMs}; quick ${QUICK.probePeriodMs}]
  --publish-rate N        entries/s the stream scenarios publish [${FULL.publishRate}]
  --redis-url URL         use this Redis for the stream scenario [start a redis-server on a free port]
  --require-redis         fail, rather than mark "not run", when no Redis can be had
  --soak                  instead of the scenarios: random faults under load, then a ledger
                          (docs/drill.md, "Soak"); the faults are spaced 1–10 probe periods apart
  --events N              faults in a soak [${FULL.soakEvents}; quick ${QUICK.soakEvents}; no limit with --minutes]
  --minutes N             end a soak's faults after N minutes (and after --events, if given too)
  --seed N                the soak's seed, to replay its plan of faults [random, printed]
  --output DIR            parent folder of the report folder [reports]
  --quick                 short timings for CI, finishes in well under a minute
  --help                  this text
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min} (got "${raw}")`);
  return value;
}

/** Parses the command line; returns undefined for `--help`. */
export function parseDrillOptions(argv: string[]): DrillOptions | undefined {
  const numeric = [
    'replicas',
    'clients',
    'normal-ms',
    'data-interval-ms',
    'request-interval-ms',
    'work-ms',
    'propagation-ms',
    'prestop-ms',
    'grace-ms',
    'drain-timeout-ms',
    'probe-period-ms',
    'publish-rate',
    'events',
    'minutes',
    'seed',
  ] as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        ...Object.fromEntries(numeric.map((name) => [name, { type: 'string' as const }])),
        scenarios: { type: 'string' },
        output: { type: 'string' },
        'redis-url': { type: 'string' },
        'require-redis': { type: 'boolean' },
        soak: { type: 'boolean' },
        quick: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  const quick = values.quick === true;
  const base = quick ? QUICK : FULL;
  const get = (name: (typeof numeric)[number]): string | undefined => values[name] as string | undefined;

  if (values.soak === true && values.scenarios !== undefined) throw new UsageError('--soak runs on its own: leave out --scenarios');
  const scenarios = (values.scenarios as string | undefined)?.split(',').map((name) => name.trim()) ?? [...SCENARIOS];
  for (const name of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new UsageError(`--scenarios: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
    }
  }
  if (scenarios.includes('reconnect') && !scenarios.includes('graceful')) scenarios.push('graceful');
  const options: DrillOptions = {
    replicas: positiveInt('replicas', get('replicas'), base.replicas, 2),
    clients: positiveInt('clients', get('clients'), base.clients, 1),
    scenarios: values.soak === true ? ['soak'] : SCENARIOS.filter((name) => scenarios.includes(name)),
    normalMs: positiveInt('normal-ms', get('normal-ms'), base.normalMs),
    dataIntervalMs: positiveInt('data-interval-ms', get('data-interval-ms'), base.dataIntervalMs, 10),
    requestIntervalMs: positiveInt('request-interval-ms', get('request-interval-ms'), base.requestIntervalMs, 1),
    workMs: positiveInt('work-ms', get('work-ms'), base.workMs),
    propagationMs: positiveInt('propagation-ms', get('propagation-ms'), base.propagationMs),
    preStopMs: positiveInt('prestop-ms', get('prestop-ms'), base.preStopMs),
    gracePeriodMs: positiveInt('grace-ms', get('grace-ms'), base.gracePeriodMs, 1),
    drainTimeoutMs: positiveInt('drain-timeout-ms', get('drain-timeout-ms'), base.drainTimeoutMs, 1),
    probePeriodMs: positiveInt('probe-period-ms', get('probe-period-ms'), base.probePeriodMs, 10),
    publishRate: positiveInt('publish-rate', get('publish-rate'), base.publishRate, 1),
    redisUrl: values['redis-url'] as string | undefined,
    requireRedis: values['require-redis'] === true,
    output: (values.output as string | undefined) ?? 'reports',
    quick,
    soak: {
      events: positiveInt('events', get('events'), get('minutes') === undefined ? base.soakEvents : Number.POSITIVE_INFINITY, 1),
      minutes: get('minutes') === undefined ? undefined : positiveInt('minutes', get('minutes'), 0, 1),
      seed: positiveInt('seed', get('seed'), FaultPlan.randomSeed()),
    },
  };
  if (options.redisUrl !== undefined && !/^rediss?:\/\//.test(options.redisUrl)) {
    throw new UsageError('--redis-url must be a redis:// or rediss:// URL');
  }
  if (options.gracePeriodMs <= options.preStopMs + options.drainTimeoutMs) {
    throw new UsageError(
      `--grace-ms (${options.gracePeriodMs}) must exceed --prestop-ms + --drain-timeout-ms ` +
        `(${options.preStopMs + options.drainTimeoutMs}), or the kubelet's SIGKILL cuts the drain`,
    );
  }
  return options;
}
