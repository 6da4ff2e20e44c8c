/**
 * How a draining session's wait hears that what it waits for may have changed: in-flight work
 * settled, an ack arrived. One per connection, shared by the session and its channel streams; an
 * object rather than a callback, as a callback would cost every connection a closure.
 */
export class DrainWake {
  private check: (() => void) | undefined;

  /** Runs `check` at every `wake()` until `clear()`. */
  watch(check: () => void): void {
    this.check = check;
  }

  clear(): void {
    this.check = undefined;
  }

  wake(): void {
    this.check?.();
  }
}
