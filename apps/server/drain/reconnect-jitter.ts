/**
 * New connections per second a draining replica asks its clients to stay under. A fresh
 * connection (TCP accept, upgrade, `hello`) costs the receiving replica a fraction of a
 * millisecond of CPU, so 2000/s leaves the survivors headroom while 100 clients still move
 * within 50 ms and 10 000 within 5 s.
 */
export const RECONNECT_RATE_PER_SECOND = 2000;

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
