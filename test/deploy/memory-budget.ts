/**
 * What the server costs in memory, measured with `npm run bench:connection-cost` on the
 * development machine (2 cores, Node 20) and rounded up: the manifests' memory limits are
 * derived from these (docs/limits-and-security.md, "Memory"). Re-measure and update when the server changes shape.
 *
 * Measured 2026-11-27: base RSS 117–121 MiB; 9.1–15.6 KiB per fleet-like connection (2 000 held);
 * 0.5 KiB per request in flight. Re-measured 2026-11-28 after GC, with the leaner sessions: base
 * 83 MiB, 6.7–8.4 KiB per connection (1 000–10 000 held), 0.4 KiB per request in flight; the
 * figures below are kept, the margin now covering connections busier than the benchmark's.
 */
export const MEMORY_BUDGET = {
  baseMiB: 128,
  perConnectionKiB: 24,
  /**
   * Measured 2026-12-04 with the prod caps all in use (`npm run bench:connection-cost -- --load`:
   * 2000 connections × 100 requests in flight, old space capped at 256 MiB): 291 MiB peak RSS,
   * 0.59 KiB per request beyond the base and the connections; rounded up. (The 0.5 of one
   * connection with 20 000 in flight undercounted it.)
   */
  perRequestInFlightKiB: 0.75,
  /**
   * Resident memory beyond the old space (young generation, code, socket buffers): the limit
   * must leave this above NODE_OPTIONS' --max-old-space-size. Measured under that load: RSS
   * 291 MiB with 182 MiB of live heap after GC; rounded up.
   */
  beyondOldSpaceMiB: 96,
  /**
   * JS heap per byte of HISTORY_MAX_BYTES (memory backend), rounded up: measured 2026-12-04 by
   * storing 32 MiB of budget as the backend does (parsed payloads): 1.0 for large text payloads,
   * 1.7 for small-field objects (Node 20).
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
