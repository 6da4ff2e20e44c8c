/**
 * Creates work every `intervalMs`, starting at a random phase so that a fleet started together
 * does not send in lockstep. An interval of 0 creates nothing.
 */
export class WorkScheduler {
  private phase: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  start(create: () => void): void {
    if (this.intervalMs === 0) return;
    this.phase = setTimeout(() => {
      create();
      this.interval = setInterval(create, this.intervalMs);
    }, Math.random() * this.intervalMs);
  }

  stop(): void {
    clearTimeout(this.phase);
    clearInterval(this.interval);
  }
}
