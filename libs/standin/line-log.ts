/** Lines collected from a process, with waits that resolve on the line's arrival. */
export class LineLog {
  readonly lines: string[] = [];
  /** Arrival time of each line (epoch ms), parallel to `lines`. */
  readonly times: number[] = [];
  private readonly waiters = new Set<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }>();

  push(line: string, at = Date.now()): void {
    this.lines.push(line);
    this.times.push(at);
    for (const waiter of this.waiters) {
      const match = waiter.pattern.exec(line);
      if (match) {
        this.waiters.delete(waiter);
        waiter.resolve(match);
      }
    }
  }

  /** Resolves with the first line from index `from` on, already seen or still to come, that matches. */
  waitFor(pattern: RegExp, from = 0): Promise<RegExpMatchArray> {
    for (const line of this.lines.slice(from)) {
      const match = pattern.exec(line);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolve) => this.waiters.add({ pattern, resolve }));
  }

  /** Index of the first line matching `pattern`, or -1. */
  indexOf(pattern: RegExp): number {
    return this.lines.findIndex((line) => pattern.test(line));
  }

  count(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }
}
