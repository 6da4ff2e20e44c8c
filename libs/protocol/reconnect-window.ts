/**
 * The window over which a draining server asks its clients to spread their reconnects: the time
 * the next replica needs to accept them all at `ratePerSecond` (`RECONNECT_RATE_PER_SEC`, sized
 * from what one replica accepts while another drains: see docs/benchmarks.md). Zero for a
 * single client, so it comes back at once. Capped below the drain deadline so every client is
 * gone before it.
 */
export function reconnectJitterMs(clients: number, drainTimeoutMs: number, ratePerSecond: number): number {
  const spread = Math.round(((clients - 1) / ratePerSecond) * 1000);
  return Math.max(0, Math.min(spread, Math.floor(drainTimeoutMs / 2)));
}

/**
 * New connections per second a replica is assumed to accept while another one drains: the
 * default of `RECONNECT_RATE_PER_SEC`. `npm run bench` measures the fresh replica's CPU per
 * accepted connection during a move (~0.6 ms on the development machine: ~1700 per CPU-second);
 * rounded up, as the window counts from the drain notice and the drain's own time is part of it.
 * Set it from your own measurement when replicas have more or less CPU.
 */
export const DEFAULT_RECONNECT_RATE_PER_SEC = 2000;
