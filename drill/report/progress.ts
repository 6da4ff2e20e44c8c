import { SingleBar, Presets } from 'cli-progress';

/**
 * Terminal progress: on a TTY a bar over the drill's steps with the current phase; otherwise one
 * plain line per phase and note, which reads well in CI logs.
 */
export class Progress {
  private readonly bar: SingleBar | undefined;
  private done = 0;

  constructor(
    private readonly totalSteps: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (stream.isTTY) {
      this.bar = new SingleBar(
        { format: ' {bar} {value}/{total} | {phase}', stream, hideCursor: true, clearOnComplete: false },
        Presets.shades_classic,
      );
      this.bar.start(totalSteps, 0, { phase: 'starting' });
    }
  }

  /** A new phase begins; counts as one step once `step()` is called. */
  phase(name: string): void {
    if (this.bar) this.bar.update(this.done, { phase: name });
    else this.stream.write(`[drill] ${name}\n`);
  }

  /** A step finished. */
  step(): void {
    this.done = Math.min(this.totalSteps, this.done + 1);
    this.bar?.update(this.done);
  }

  /** A line worth reading now (a failed check, where the report went). */
  note(line: string): void {
    if (this.bar) this.bar.stop();
    this.stream.write(`${line}\n`);
    if (this.bar) this.bar.start(this.totalSteps, this.done, { phase: line.slice(0, 60) });
  }

  finish(): void {
    this.bar?.stop();
  }
}
