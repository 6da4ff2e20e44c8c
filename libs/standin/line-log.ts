/** Lines collected from a process, with waits that resolve on the line's arrival. */
export class LineLog {
  readonly lines: string[] = [];
  private readonly waiters = new Set<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }>();

  push(line: string): void {
    this.lines.push(line);
    for (const waiter of this.waiters) {
      const match = waiter.pattern.exec(line);
      if (match) {
        this.waiters.delete(waiter);
        waiter.resolve(match);
      }
    }
  }

  /** Resolves with the first line, already seen or still to come, that matches. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
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
