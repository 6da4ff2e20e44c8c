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

/** For the report: the lines matching `patterns` in order from `from` on, as `inOrder` finds them; unmatched patterns are skipped. */
export function excerpt(log: LineLog, patterns: RegExp[], from = 0): string[] {
  const picked: string[] = [];
  let index = from;
  for (const pattern of patterns) {
    const found = log.lines.findIndex((line, at) => at >= index && pattern.test(line));
    if (found < 0) continue;
    picked.push(log.lines[found] ?? '');
    index = found + 1;
  }
  return picked;
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
