import type { EventStep, LineLog } from '@app/standin';

/** Asserts that `steps` each find their event in `log` from line `from` on, in this order (other lines may come between). */
export function expectInOrder(log: LineLog, steps: EventStep[], from = 0): void {
  const missing = log.eventsInOrder(steps, from).findIndex((index) => index === undefined);
  if (missing >= 0) {
    throw new Error(`no ${steps[missing]!.describe} in order in:\n${log.lines.slice(from).join('\n')}`);
  }
}
