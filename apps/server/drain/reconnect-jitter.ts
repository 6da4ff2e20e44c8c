/**
 * New connections per second a drain asks its clients to stay under, fleet-wide. 500/s is
 * far below what one Node replica accepts (a fresh WebSocket costs well under a millisecond of
 * CPU here), while still moving 10 000 clients in 20 s.
 */
export const RECONNECT_RATE_PER_SECOND = 500;

/**
 * The window over which a draining server asks its clients to spread their reconnects: zero for
 * a single client, so it comes back at once, and growing with the number drained, so thousands
 * do not stampede the next replica. Capped below the drain deadline so every client is gone
 * before it.
 */
export function reconnectJitterMs(clients: number, drainTimeoutMs: number): number {
  const spread = Math.round(((clients - 1) / RECONNECT_RATE_PER_SECOND) * 1000);
  return Math.max(0, Math.min(spread, Math.floor(drainTimeoutMs / 2)));
}
