/**
 * A channel nobody has published to yet gets its state (an epoch, counter 0) with a short TTL
 * (`POSITION_SCRIPT`), so subscribing to many names leaves nothing lasting in Redis. While this
 * replica has subscribers on such a channel it keeps that state alive, a third of the TTL at a
 * time: the epoch they were given stays the channel's, and the first publish, however late, does
 * not tell them of a loss that did not happen. (A channel with entries is left alone: its TTL is
 * the history's, renewed by every append.)
 */
export class EmptyChannelKeeper {
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** The channels this replica has subscribers on. */
    private readonly watched: () => Iterable<string>,
    /** Renews a channel's state if it is still empty; a failure is left to the next round (the live feed reports outages). */
    private readonly keep: (channel: string) => Promise<unknown>,
    ttlMs: number,
  ) {
    this.timer = setInterval(() => this.renew(), Math.max(1, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private renew(): void {
    for (const channel of this.watched()) this.keep(channel).catch(() => undefined);
  }
}
