import type { ClientEvent } from './events.js';

type SeqEvent = Extract<ClientEvent, { type: 'seq-gap' | 'seq-backwards' }>;

/**
 * One connection's sequence numbers: what arrived, what was acked. A skipped `seq` is data
 * lost (reported as `seq-gap`); one going backwards is an invalid frame (`seq-backwards`).
 */
export class SeqTracker {
  private receivedSeq = 0;
  private ackedSeq = 0;

  constructor(private readonly report: (event: SeqEvent) => void) {}

  /** True when the frame continues the sequence (or skips ahead, reporting the gap). */
  accept(seq: number): boolean {
    if (seq <= this.receivedSeq) {
      this.report({ type: 'seq-backwards', seq, last: this.receivedSeq });
      return false;
    }
    if (seq > this.receivedSeq + 1) this.reportGap(seq - 1);
    this.receivedSeq = seq;
    return true;
  }

  /**
   * The drain marker: everything up to `lastSeq` should have arrived. Returns `lastSeq` to
   * acknowledge, always, since the server waits for exactly that ack.
   */
  closeMarker(lastSeq: number): number {
    if (lastSeq > this.receivedSeq) this.reportGap(lastSeq);
    this.receivedSeq = Math.max(this.receivedSeq, lastSeq);
    return (this.ackedSeq = this.receivedSeq);
  }

  /** The seq to acknowledge now (recorded as acked), or undefined when the last ack covers all. */
  nextAck(): number | undefined {
    if (this.receivedSeq === this.ackedSeq) return undefined;
    return (this.ackedSeq = this.receivedSeq);
  }

  private reportGap(upTo: number): void {
    this.report({ type: 'seq-gap', from: this.receivedSeq + 1, to: upTo });
  }
}
