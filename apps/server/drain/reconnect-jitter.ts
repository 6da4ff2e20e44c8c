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
