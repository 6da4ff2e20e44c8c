import { matchInOrder } from '@app/standin';

/** Asserts that `patterns` each match a line of `lines`, in this order (other lines may come between). */
export function expectInOrder(lines: string[], patterns: RegExp[]): void {
  const missing = matchInOrder(lines, patterns).findIndex((index) => index === undefined);
  if (missing >= 0) {
    throw new Error(`no line matching ${String(patterns[missing])} in order in:\n${lines.join('\n')}`);
  }
}
