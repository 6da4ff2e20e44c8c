import { clientSummaryLine, type EventStep, type LineLog } from '@app/standin';

/** True when `steps` each find their event from line `from` on, in this order. */
export function inOrder(log: LineLog, steps: EventStep[], from = 0): boolean {
  return log.eventsInOrder(steps, from).every((index) => index !== undefined);
}

/** For the report: the lines `inOrder` finds, as people read them (`[context] message`); steps not found are left out. */
export function excerpt(log: LineLog, steps: EventStep[], from = 0): string[] {
  return log.eventsInOrder(steps, from).flatMap((index) => (index === undefined ? [] : [readable(log, index)]));
}

/** For the report: the client's summary line, if it printed one. */
export function summaryLine(log: LineLog): string[] {
  const line = clientSummaryLine(log);
  return line === undefined ? [] : [line];
}

/** For the report: every line from `from` on, as people read them. */
export function readableLines(log: LineLog, from = 0): string[] {
  return log.lines.slice(from).map((_line, offset) => readable(log, from + offset));
}

/** For the report: the last periodic stats line, if any. */
export function lastStats(log: LineLog): string[] {
  const index = log.lastIndexOfEvent('client_stats');
  return index < 0 ? [] : [readable(log, index)];
}

/** The warnings and errors a process logged from line `from` on (JSON lines of level `warn` or `error`), as people read them. */
export function warnings(log: LineLog, from = 0): string[] {
  const found: string[] = [];
  for (let index = from; index < log.lines.length; index++) {
    const level = jsonLine(log.lines[index]!)?.level;
    if (level === 'warn' || level === 'error') found.push(readable(log, index));
  }
  return found;
}

interface JsonLine {
  level?: string;
  context?: string;
  message?: string;
}

function jsonLine(line: string): JsonLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as JsonLine;
  } catch {
    return undefined;
  }
}

function readable(log: LineLog, index: number): string {
  const line = log.lines[index] ?? '';
  const parsed = jsonLine(line);
  if (parsed?.message === undefined) return line;
  const at = new Date(log.times[index] ?? 0).toISOString().slice(11, 23);
  return `${at} [${parsed.context ?? '?'}] ${parsed.message}`;
}
