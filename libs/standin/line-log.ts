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

  count(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }
}

/**
 * Where each of `patterns` matches in `lines`, searching in order from index `from`: each
 * pattern's match must come after the previous pattern's. `undefined` for a pattern with no such
 * line; the search for the next one goes on from the last match.
 */
export function matchInOrder(lines: readonly string[], patterns: RegExp[], from = 0): (number | undefined)[] {
  let next = from;
  return patterns.map((pattern) => {
    const found = lines.findIndex((line, at) => at >= next && pattern.test(line));
    if (found < 0) return undefined;
    next = found + 1;
    return found;
  });
}
