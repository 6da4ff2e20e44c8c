import type { LoggerService } from '@nestjs/common';
import type { ClientStats } from '../stats/client-stats.js';

/**
 * One connection's sequence numbers: what arrived, what was acked. A skipped `seq` is data
 * lost and is counted; one going backwards is an invalid frame.
 */
export class SeqTracker {
  private receivedSeq = 0;
  private ackedSeq = 0;

  constructor(
    private readonly stats: ClientStats,
    private readonly logger: LoggerService,
  ) {}

  /** True when the frame continues the sequence (or skips ahead, counting the gap). */
  accept(seq: number): boolean {
    if (seq <= this.receivedSeq) {
      this.stats.invalidFrames++;
      this.logger.warn(`Ignored a frame whose seq ${seq} went backwards (last was ${this.receivedSeq})`);
      return false;
    }
    if (seq > this.receivedSeq + 1) this.countGap(seq - 1);
    this.receivedSeq = seq;
    return true;
  }

  /**
   * The drain marker: everything up to `lastSeq` should have arrived. Returns `lastSeq` to
   * acknowledge, always, since the server waits for exactly that ack.
   */
  closeMarker(lastSeq: number): number {
    if (lastSeq > this.receivedSeq) this.countGap(lastSeq);
    this.receivedSeq = Math.max(this.receivedSeq, lastSeq);
    return (this.ackedSeq = this.receivedSeq);
  }

  /** The seq to acknowledge now (recorded as acked), or undefined when the last ack covers all. */
  nextAck(): number | undefined {
    if (this.receivedSeq === this.ackedSeq) return undefined;
    return (this.ackedSeq = this.receivedSeq);
  }

  private countGap(upTo: number): void {
    const missing = upTo - this.receivedSeq;
    this.stats.seqGaps += missing;
    this.logger.warn(`Lost ${missing} frames: seq ${this.receivedSeq + 1} to ${upTo} never arrived`);
  }
}
