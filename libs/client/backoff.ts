/**
 * Exponential backoff with full jitter: a uniformly random delay in
 * `[0, min(maxMs, baseMs * 2^attempt))`, where `attempt` counts the failures since the last
 * healthy connection, from 0. Full jitter spreads a fleet of clients that failed together.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * ceiling);
}

/**
 * When to reconnect after a drain, from its notice: random within the window the server advised
 * (`reconnectJitterMs`), capped by the client's own limit. 0 for a lone client. The client waits
 * for what is left of it once the drain has closed the connection.
 */
export function drainReconnectDelayMs(advisedMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(advisedMs, capMs));
}
