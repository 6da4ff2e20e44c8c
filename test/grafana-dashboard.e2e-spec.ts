import { readFileSync } from 'node:fs';
import { ClientProcess, ServerProcess } from '@app/standin';
import { families } from './support/prometheus.js';

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const DASHBOARD = 'kustomize/components/prometheus-operator/grafana-dashboard.json';
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };
const queries = dashboard.panels
  .flatMap((panel) => [panel, ...(panel.panels ?? [])])
  .flatMap((panel) => (panel.targets ?? []).map(({ expr }) => ({ panel: panel.title, expr })));
/** Every series name a query reads (the service's own prefix only; PromQL functions never start with it). */
const queried = [...new Set(queries.flatMap(({ expr }) => expr.match(/\bgraceful_[a-z0-9_]+/g) ?? []))];

/** The family a sample name belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to it. */
function familyOf(name: string, declared: Map<string, string>): string | undefined {
  if (declared.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return declared.get(base) === 'histogram' ? base : undefined;
}

describe('Grafana dashboard', () => {
  it('queries only metrics that a running server and client expose', async () => {
    const server = await ServerProcess.start();
    const client = ClientProcess.spawn({ SERVER_URL: server.wsUrl, METRICS_PORT: '0' });
    try {
      const clientPort = (await client.expectEvent('client_metrics_listening')).port;
      const declared = new Map([
        ...(await families(`${server.httpUrl}/metrics`)),
        ...(await families(`http://127.0.0.1:${clientPort}/metrics`)),
      ]);
      expect(queried.length).toBeGreaterThan(20);
      expect(queried.filter((name) => familyOf(name, declared) === undefined)).toEqual([]);
    } finally {
      await client.kill();
      await server.stop();
    }
  });

  it('shows connections per pod, drains, reconnect gaps and every loss counter', () => {
    const reads = (metric: string, by?: string): boolean =>
      queries.some(({ expr }) => expr.includes(metric) && (by === undefined || expr.includes(`by (${by})`)));
    expect(reads('graceful_connections{', 'pod')).toBe(true);
    expect(reads('graceful_drains_total')).toBe(true);
    expect(reads('graceful_drain_clients_cut_total')).toBe(true);
    expect(reads('graceful_client_reconnect_gap_seconds_bucket', 'le, after')).toBe(true);
    for (const loss of [
      'seq_gaps_total',
      'stream_gaps_total',
      'stream_unrecoverable_total',
      'requests_outstanding',
      'requests_duplicate_results_total',
    ]) {
      expect(`${loss} ${reads(`graceful_client_${loss}`)}`).toBe(`${loss} true`);
    }
  });
});
