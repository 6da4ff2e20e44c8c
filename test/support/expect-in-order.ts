/** Asserts that `patterns` each match a line of `lines`, in this order (other lines may come between). */
export function expectInOrder(lines: string[], patterns: RegExp[]): void {
  let from = 0;
  for (const pattern of patterns) {
    const offset = lines.slice(from).findIndex((line) => pattern.test(line));
    if (offset < 0) {
      throw new Error(`no line matching ${String(pattern)} after line ${from} of:\n${lines.join('\n')}`);
    }
    from += offset + 1;
  }
}
