import { matchInOrder, type LineLog } from '@app/standin';

/** True when `patterns` each match a line from `from` on, in this order. */
export function inOrder(log: LineLog, patterns: RegExp[], from = 0): boolean {
  return matchInOrder(log.lines, patterns, from).every((index) => index !== undefined);
}

/** For the report: the lines `inOrder` finds; patterns without a match are left out. */
export function excerpt(log: LineLog, patterns: RegExp[], from = 0): string[] {
  return matchInOrder(log.lines, patterns, from).flatMap((index) => (index === undefined ? [] : [log.lines[index] ?? '']));
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
