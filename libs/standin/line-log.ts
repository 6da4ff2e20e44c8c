import { isLogEvent, parseLogEvent, type AnyLogRecord, type LogEventName, type LogRecord } from '@app/contract';

/** Picks event `name`, when `matches` it, from a parsed line. */
export type EventFilter<N extends LogEventName> = (record: LogRecord<N>) => boolean;

/**
 * Lines collected from a process, each with its arrival time, and the structured events among
 * them (`@app/contract`'s JSON log lines, parsed once each). Waiting for a line or an event is
 * `ChildProgram`'s job, which also fails when the process ends first.
 */
export class LineLog {
  readonly lines: string[] = [];
  /** Arrival time of each line (epoch ms), parallel to `lines`. */
  readonly times: number[] = [];
  /** Each line's event once parsed (null: not an event line); filled on first use. */
  private readonly records: (AnyLogRecord | null | undefined)[] = [];
  private readonly listeners = new Set<(line: string, index: number) => void>();

  push(line: string, at = Date.now()): void {
    this.lines.push(line);
    this.times.push(at);
    for (const listener of this.listeners) listener(line, this.lines.length - 1);
  }

  /** The first line from index `from` on for which `pick` returns something, and that. */
  first<T>(pick: (index: number) => T | undefined, from = 0): T | undefined {
    for (let index = from; index < this.lines.length; index++) {
      const picked = pick(index);
      if (picked !== undefined) return picked;
    }
    return undefined;
  }

  /** The event on line `index`, if it is event `name` and `matches`. */
  eventAt<N extends LogEventName>(index: number, name: N, matches: EventFilter<N> = () => true): LogRecord<N> | undefined {
    let parsed = this.records[index];
    if (parsed === undefined) parsed = this.records[index] = parseLogEvent(this.lines[index] ?? '') ?? null;
    const record = parsed ?? undefined;
    return isLogEvent(record, name) && matches(record) ? record : undefined;
  }

  /** Every event `name` that `matches`, from line `from` on. */
  events<N extends LogEventName>(name: N, matches: EventFilter<N> = () => true, from = 0): LogRecord<N>[] {
    const found: LogRecord<N>[] = [];
    for (let index = from; index < this.lines.length; index++) {
      const record = this.eventAt(index, name, matches);
      if (record) found.push(record);
    }
    return found;
  }

  /** The index of the first line from `from` on that holds event `name` matching `matches`, or -1. */
  indexOfEvent<N extends LogEventName>(name: N, matches: EventFilter<N> = () => true, from = 0): number {
    return this.first((index) => (this.eventAt(index, name, matches) ? index : undefined), from) ?? -1;
  }

  /** The index of the last line that holds event `name`, or -1. */
  lastIndexOfEvent(name: LogEventName): number {
    for (let index = this.lines.length - 1; index >= 0; index--) if (this.eventAt(index, name)) return index;
    return -1;
  }

  /**
   * Where each of `steps` is, searching in order from line `from`: each step's event must come
   * after the previous step's. `undefined` for a step with no such line; the search for the next
   * one goes on from the last one found.
   */
  eventsInOrder(steps: EventStep[], from = 0): (number | undefined)[] {
    let next = from;
    return steps.map(({ event, matches }) => {
      const found = this.indexOfEvent(event, matches, next);
      if (found < 0) return undefined;
      next = found + 1;
      return found;
    });
  }

  /** Calls `listener` with every line pushed from now on (and its index); returns the function that stops it. */
  onLine(listener: (line: string, index: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  count(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }
}

/** One event to look for in a sequence: its name and, if need be, what its fields must be. */
export interface EventStep {
  event: LogEventName;
  matches: EventFilter<LogEventName>;
  /** For a failure message. */
  describe: string;
}

/** A step of `eventsInOrder`, typed by its event's fields. */
export function step<N extends LogEventName>(event: N, matches: EventFilter<N> = () => true, describe = event as string): EventStep {
  return { event, matches: (record) => matches(record as unknown as LogRecord<N>), describe };
}
