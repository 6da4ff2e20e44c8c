import type { LoggerService } from '@nestjs/common';
import { logEvent, type LogEventFields } from '@app/contract';
import type { Peer } from './peer.js';

type Level = 'log' | 'warn' | 'debug';

/**
 * Log lines about one peer (or one kind of traffic), rate-limited per kind: the first one is written, repeats within
 * `windowMs` are only counted, and the count rides on the next line written after the window
 * (or is reported when the peer leaves). Kinds are fixed strings chosen by the server, never
 * text from the peer, so no peer can make this map or the log grow without bound.
 */
export class PeerLog {
  /** Created with the first line: most peers never have one logged. */
  private kinds: Map<string, { level: Level; writtenAt: number; suppressed: number }> | undefined;

  constructor(
    private readonly logger: LoggerService,
    /** Whom the lines are about: a peer (the flushed count names it `Client 10.0.0.7:51234`) or a kind of traffic. */
    private readonly about: Peer | string,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** `fields`: the line's structured event (`@app/contract`), written with it. */
  write(level: Level, kind: string, line: string, fields: LogEventFields): void {
    const now = this.now();
    const kinds = (this.kinds ??= new Map<string, { level: Level; writtenAt: number; suppressed: number }>());
    const previous = kinds.get(kind);
    if (previous && now - previous.writtenAt < this.windowMs) {
      previous.suppressed++;
      return;
    }
    const suppressed = previous?.suppressed ?? 0;
    kinds.set(kind, { level, writtenAt: now, suppressed: 0 });
    if (suppressed === 0) this.emit(level, line, fields);
    else this.emit(level, `${line} (and ${suppressed} more like it since the last one logged)`, { ...fields, suppressed });
  }

  /** Reports what is still only counted; the peer is gone. */
  flush(): void {
    const about = typeof this.about === 'string' ? this.about : `Client ${this.about.name}`;
    for (const [kind, { level, suppressed }] of this.kinds ?? []) {
      if (suppressed > 0)
        this.emit(
          level,
          `${about}: ${suppressed} more "${kind}" lines not logged`,
          logEvent('log_suppressed', { about, kind, count: suppressed }),
        );
    }
    this.kinds = undefined;
  }

  private emit(level: Level, line: string, fields: object): void {
    if (level === 'debug') this.logger.debug?.(line, fields);
    else this.logger[level](line, fields);
  }
}
