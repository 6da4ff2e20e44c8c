import type { LineLog } from '@app/standin';

/** Strips Nest's `[Nest] pid - date LEVEL [Context] ` prefix, leaving the message. */
export function message(line: string): string {
  return line.replace(/^\[Nest\] \d+\s+-\s+.*?\s+(LOG|WARN|ERROR|DEBUG|VERBOSE|FATAL)\s+\[[^\]]+\]\s/, '');
}

/** True when `patterns` each match a line from `from` on, in this order. */
export function inOrder(log: LineLog, patterns: RegExp[], from = 0): boolean {
  let index = from;
  for (const pattern of patterns) {
    const found = log.lines.findIndex((line, at) => at >= index && pattern.test(line));
    if (found < 0) return false;
    index = found + 1;
  }
  return true;
}

/** The first line matching each pattern from `from` on, prefixed with its source, for the report. */
export function excerpt(log: LineLog, patterns: RegExp[], from = 0): string[] {
  const picked = new Set<number>();
  for (const pattern of patterns) {
    const found = log.lines.findIndex((line, at) => at >= from && !picked.has(at) && pattern.test(line));
    if (found >= 0) picked.add(found);
  }
  return [...picked].sort((a, b) => a - b).map((index) => log.lines[index] ?? '');
}

/** Parses the JSON of a client `Received: {...}` line. */
export function receivedFrame(line: string): Record<string, unknown> | undefined {
  const at = line.indexOf('Received: {');
  if (at < 0) return undefined;
  try {
    return JSON.parse(line.slice(at + 'Received: '.length)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
