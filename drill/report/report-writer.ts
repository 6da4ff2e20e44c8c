import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { GapSummary } from '@app/contract';
import type { DrillOptions } from '../drill.options.js';
import type { ScenarioResult } from '../drill.context.js';
import type { Timeline } from '../timeline.js';
import { headlineMetrics, type HeadlineMetric } from './headline.js';
import { renderTimelineSvg } from './timeline-chart.js';

export interface ReportFiles {
  folder: string;
  passed: boolean;
  failed: { scenario: string; check: string; detail: string }[];
  /** Scenarios that did not run, with why: never counted as passed. */
  notRun: { scenario: string; reason: string }[];
  /** Speed targets: how many there were and how many were missed (a check passing says nothing of them). */
  targets: { total: number; missed: number };
}

function environment() {
  return {
    node: process.version,
    os: `${platform()} ${release()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
  };
}

function markdown(
  startedAt: Date,
  options: DrillOptions,
  results: ScenarioResult[],
  headline: HeadlineMetric[],
  floor: GapSummary | undefined,
): string {
  const env = environment();
  const all = results.flatMap((result) => result.checks);
  const failed = all.filter((c) => !c.ok).length;
  const targets = results.flatMap((result) => result.targets);
  const missed = targets.filter((t) => !t.met).length;
  const lines = [
    '# Kubernetes graceful shutdown — drill report',
    '',
    `Run started ${startedAt.toISOString()}. **${failed === 0 ? `✅ all ${all.length} checks passed` : `❌ ${failed} of ${all.length} checks failed`}.**` +
      ` Speed targets: ${targets.length - missed} of ${targets.length} met` +
      (missed === 0
        ? '.'
        : `; missed: ${targets
            .filter((t) => !t.met)
            .map((t) => `${t.name} — ${t.measured}, goal ${t.goal}`)
            .join('; ')}.`) +
      results
        .filter((r) => r.notRun)
        .map((r) => ` ⚠️ Not run: ${r.name} (${r.notRun}).`)
        .join(''),
    '',
    '## Purpose',
    '',
    'Verify that WebSocket clients are served with nothing lost while server pods shut down: the server',
    'finishes its work and tells its clients before it exits, and the clients move to another replica on',
    'their own. Every figure in the "This run" column and in the steps below was measured in this run;',
    "the original program's figures come from its own report (its logs, to the second) and its code.",
    '',
    '## Environment',
    '',
    '| | |',
    '|---|---|',
    `| Node.js | ${env.node} |`,
    `| OS | ${env.os} |`,
    `| CPU | ${env.cpus} × ${env.cpuModel} |`,
    `| Memory | ${env.memoryGiB} GiB |`,
    '| Cluster | local stand-in: real server and client processes, an L4 Service forwarder, kubelet-style deletion |',
    `| Deployment | ${options.replicas} replicas, rolling update maxSurge 1 / maxUnavailable 0 |`,
    `| Pod deletion | preStop ${options.preStopMs} ms, grace period ${options.gracePeriodMs} ms, endpoint propagation ${options.propagationMs} ms, readiness probe every ${options.probePeriodMs} ms |`,
    `| Server | DATA_INTERVAL_MS ${options.dataIntervalMs}, DRAIN_TIMEOUT_MS ${options.drainTimeoutMs}, FINAL_DATA_ITEMS 2 |`,
    `| Connection floor | ${floor ? `fresh WebSocket → hello through the Service: p50 ${floor.p50} ms, p99 ${floor.p99} ms (${floor.count} samples, this run)` : 'not measured'} |`,
    `| Clients | 1 seed client (scenarios 1–3); ${options.clients} virtual clients (scenarios 4–5); a request every ${options.requestIntervalMs} ms, ${options.workMs} ms of work each |`,
    '',
    '## Architecture',
    '',
    '```',
    'client process(es) ── ws://127.0.0.1:<service>/ws',
    '        │',
    '        ▼',
    'Service (L4 forwarder: round-robin over ready endpoints; never cuts established connections)',
    '        │  endpoints follow readiness and deletion after the propagation delay',
    '        ▼',
    `server pods ×${options.replicas} (node dist/apps/server/main.js, SERVER_ID = pod name, /health/ready probed)`,
    '```',
    '',
    '## Results against the seed report',
    '',
    "| Metric | Seed report claim | Original program (its report's logs and its code, not this run) | This run |",
    '|---|---|---|---|',
    ...headline.map((row) => `| ${row.metric} | ${row.seedClaim} | ${row.original} | ${row.thisRun} |`),
    '',
    '![timeline: connections per pod](timeline.svg)',
    '',
    '## Steps and checks',
  ];
  for (const [index, result] of results.entries()) {
    lines.push(
      '',
      `### ${index + 1}. ${result.title}`,
      '',
      `Started at ${(result.startedAt / 1000).toFixed(1)} s, took ${result.durationMs} ms.`,
      '',
    );
    if (result.notRun) lines.push(`- ⚠️ not run: ${result.notRun}`);
    for (const c of result.checks) lines.push(`- ${c.ok ? '✅' : '❌'} ${c.name} — ${c.detail}`);
    for (const t of result.targets) lines.push(`- ${t.met ? '✅' : '⚠️'} target: ${t.name} — ${t.measured} (goal ${t.goal})`);
    lines.push('', '| Metric | Value |', '|---|---|');
    for (const [name, value] of Object.entries(result.metrics)) lines.push(`| ${name} | ${String(value)} |`);
    for (const table of result.tables ?? []) {
      lines.push('', `${table.title}:`, '', `| ${table.header.join(' | ')} |`, `|${table.header.map(() => '---').join('|')}|`);
      for (const row of table.rows) lines.push(`| ${row.map((cell) => (cell === null ? 'n/a' : String(cell))).join(' | ')} |`);
    }
    for (const ex of result.excerpts) {
      if (ex.lines.length === 0) continue;
      lines.push('', `Log excerpt, ${ex.source}:`, '', '```', ...ex.lines, '```');
    }
  }
  lines.push(
    '',
    '## Reading this report',
    '',
    '- A ✅/❌ line is a check this run asserted; the process exit code is non-zero if any is ❌.',
    '- A target line is a speed goal (✅ met, ⚠️ missed). Timings depend on the machine and its load, so',
    '  targets are reported next to the connection floor measured in the same run and never fail the drill.',
    '- Reconnect gap: from the last frame on the old connection to the `hello` of the new one, per client.',
    '- Data loss is counted by sequence numbers (`seq` grows by 1 per frame on a connection) and by requests',
    '  created versus answered; duplicates are results received twice and suppressed by the client.',
    '- A crash (scenario 5) can lose frames the server had written but the kernel never delivered; no client',
    '  can count those, so the report says so instead of printing a zero. Requests are not lost: the client',
    '  keeps them until answered and re-sends them.',
    '- `results.json` holds every figure and the full timeline; `timeline.svg` is drawn from it.',
    '',
  );
  return lines.join('\n');
}

/** Writes `report.md`, `results.json` and `timeline.svg` into `<output>/<timestamp>/`. */
export async function writeReport(
  options: DrillOptions,
  timeline: Timeline,
  results: ScenarioResult[],
  connectFloor: GapSummary | undefined,
): Promise<ReportFiles> {
  const startedAt = new Date(timeline.startedAt);
  const folder = join(options.output, startedAt.toISOString().replace(/[:.]/g, '-'));
  await mkdir(folder, { recursive: true });
  const headline = headlineMetrics(results);
  const failed = results.flatMap((result) =>
    result.checks.filter((c) => !c.ok).map((c) => ({ scenario: result.name, check: c.name, detail: c.detail })),
  );
  const notRun = results.flatMap((result) => (result.notRun ? [{ scenario: result.name, reason: result.notRun }] : []));
  const json = {
    startedAt: startedAt.toISOString(),
    passed: failed.length === 0,
    failed,
    notRun,
    options,
    environment: environment(),
    connectFloor,
    headline,
    scenarios: results,
    timeline: timeline.events,
  };
  await Promise.all([
    writeFile(join(folder, 'report.md'), markdown(startedAt, options, results, headline, connectFloor)),
    writeFile(join(folder, 'results.json'), `${JSON.stringify(json, null, 2)}\n`),
    writeFile(
      join(folder, 'timeline.svg'),
      renderTimelineSvg(timeline, 'Connections per server pod; stream entries delivered/s (black, dashed, right axis)'),
    ),
  ]);
  const targets = results.flatMap((result) => result.targets);
  return {
    folder,
    passed: failed.length === 0,
    failed,
    notRun,
    targets: { total: targets.length, missed: targets.filter((t) => !t.met).length },
  };
}
