/**
 * What the server costs in memory, measured with `npm run bench:connection-cost` on the
 * development machine (2 cores) and rounded up: the manifests' memory limits are derived from
 * these (docs/limits-and-security.md, "Memory"). Re-measure and update when the server or the
 * Node it runs on changes.
 *
 * Node 24, 2026-12-05: base RSS 99 MiB after GC; 5.7–7.1 KiB per fleet-like connection (5 000–
 * 19 500 held; JS heap 4.0–4.2 KiB). The per-connection figure below is kept from earlier, larger
 * measurements (Node 20, 2026-11-27: 9.1–15.6 KiB), its margin covering connections busier than
 * the benchmark's.
 */
export const MEMORY_BUDGET = {
  baseMiB: 128,
  perConnectionKiB: 24,
  /**
   * Measured 2026-12-05 (Node 24) with the prod caps all in use (`npm run bench:connection-cost
   * -- --load`: 2000 connections × 100 requests in flight, the prod overlay's NODE_OPTIONS):
   * 314 MiB peak RSS, 1.03 KiB per request beyond the base and the connections; rounded up.
   * (Node 20 had shown 0.59 with its smaller young generation.)
   */
  perRequestInFlightKiB: 1.05,
  /**
   * The young generation's semi-space that `beyondOldSpaceMiB` assumes, in MiB (NODE_OPTIONS'
   * --max-semi-space-size; the young generation is two of them). Node 24 sizes it up to 64 on
   * its own: its young generation grew to 128 MiB, and the prod caps peaked at 391–409 MiB with
   * only the old space capped, over the 384Mi limit.
   */
  semiSpaceMiB: 16,
  /**
   * Resident memory beyond the old space: the limit must leave this above NODE_OPTIONS'
   * --max-old-space-size. The young generation (two 16 MiB semi-spaces: 32 MiB), and 91 MiB
   * resident beside the JS heap after GC under that load (code, socket buffers, Node's own; read
   * once with process.memoryUsage() through the inspector, not a column of the bench); rounded up.
   */
  beyondOldSpaceMiB: 128,
  /**
   * JS heap per byte of HISTORY_MAX_BYTES (memory backend), rounded up: measured 2026-12-05 (Node
   * 24) over 3 million appends through a 32 MiB bound, entries and remembered publish ids as the
   * backend stores them (parsed payloads): 1.0–1.8 for large text, tiny and small-field payloads.
   */
  heapPerHistoryByte: 2,
} as const;

/** The server's memory-limiting settings; `historyMaxBytes` only for the memory backend (Redis holds history elsewhere). */
export interface MemorySettings {
  maxConnections: number;
  maxInFlight: number;
  historyMaxBytes: number;
}

/** The memory a server needs for its connections, each with `maxInFlight` requests in flight, and its stored history, in MiB. */
export function requiredMemoryMiB({ maxConnections, maxInFlight, historyMaxBytes }: MemorySettings): number {
  const { baseMiB, perConnectionKiB, perRequestInFlightKiB, heapPerHistoryByte } = MEMORY_BUDGET;
  return (
    baseMiB +
    (maxConnections * (perConnectionKiB + maxInFlight * perRequestInFlightKiB)) / 1024 +
    (historyMaxBytes * heapPerHistoryByte) / 1024 ** 2
  );
}

/** A Kubernetes memory quantity (`256Mi`, `1Gi`, `300M`) in MiB. */
export function quantityMiB(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const factor: Record<string, number> = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1000 / 1024 ** 2,
    M: 1e6 / 1024 ** 2,
    G: 1e9 / 1024 ** 2,
    '': 1 / 1024 ** 2,
  };
  return Number(match[1]) * (factor[match[2] ?? ''] as number);
}
