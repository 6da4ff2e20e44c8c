/**
 * Lines collected from a process, each with its arrival time. Waiting for a line is
 * `NodeProcess.expectLine`'s job, which also fails when the process ends first.
 */
export class LineLog {
  readonly lines: string[] = [];
  /** Arrival time of each line (epoch ms), parallel to `lines`. */
  readonly times: number[] = [];
  private readonly listeners = new Set<(line: string) => void>();

  push(line: string, at = Date.now()): void {
    this.lines.push(line);
    this.times.push(at);
    for (const listener of this.listeners) listener(line);
  }

  /** The first match of `pattern` among the lines from index `from` on, if any. */
  find(pattern: RegExp, from = 0): RegExpMatchArray | undefined {
    for (let index = from; index < this.lines.length; index++) {
      const match = pattern.exec(this.lines[index]!);
      if (match) return match;
    }
    return undefined;
  }

  /** Calls `listener` with every line pushed from now on; returns the function that stops it. */
  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
