/**
 * One interval timer per period for every client in the process that acks on that period: a
 * load generator with thousands of clients keeps one timer, not thousands. Runs only while
 * some client is registered.
 */
const tickers = new Map<number, { timer: ReturnType<typeof setInterval>; flushes: Set<() => void> }>();

/** Calls `flush` every `periodMs` until the returned function is called. */
export function everyAckPeriod(periodMs: number, flush: () => void): () => void {
  let ticker = tickers.get(periodMs);
  if (!ticker) {
    const flushes = new Set<() => void>();
    ticker = {
      flushes,
      timer: setInterval(() => {
        for (const each of flushes) each();
      }, periodMs),
    };
    tickers.set(periodMs, ticker);
  }
  const { flushes, timer } = ticker;
  flushes.add(flush);
  return () => {
    flushes.delete(flush);
    if (flushes.size > 0) return;
    clearInterval(timer);
    tickers.delete(periodMs);
  };
}
