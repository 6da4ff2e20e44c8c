import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connections.js';

/** What the append script answers: epoch, offset, 1 for a duplicate. */
export type AppendReply = [epoch: string, offset: number, duplicate: 0 | 1];

/** A pipeline of appends ended by one WAIT. */
interface AppendPipeline {
  gsAppend(...args: string[]): AppendPipeline;
  wait(replicas: number, timeoutMs: number): AppendPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

interface Waiting {
  args: string[];
  resolve: (reply: AppendReply) => void;
  reject: (err: Error) => void;
}

/** At most this many appends share one WAIT (one pipeline written at once). */
const MAX_BATCH = 256;

/**
 * Appends confirmed only once `minReplicas` replicas hold them. `WAIT` counts the writes of the
 * connection that sends it, and blocks that connection until it answers — one WAIT per append
 * would put every append behind the previous one's replication. So appends are batched per
 * Redis node: while a batch's WAIT is out, new appends queue; then they go as one pipeline —
 * the appends and one WAIT, on one connection — and that WAIT's count answers all of them.
 * Under a lagging replica an append waits at most about two replication delays.
 */
export class ReplicatedWriter {
  private readonly queues = new Map<string, { waiting: Waiting[]; busy: boolean }>();

  constructor(
    private readonly client: RedisClient,
    private readonly minReplicas: number,
    private readonly timeoutMs: number,
  ) {}

  /** `args`: the append script's keys and arguments (the first key names the channel's slot). */
  append(args: string[]): Promise<AppendReply> {
    const node = this.nodeOf(args[0]!);
    let queue = this.queues.get(node);
    if (!queue) {
      queue = { waiting: [], busy: false };
      this.queues.set(node, queue);
    }
    const appended = new Promise<AppendReply>((resolve, reject) => queue.waiting.push({ args, resolve, reject }));
    if (!queue.busy) void this.flush(node, queue);
    return appended;
  }

  /** The node that serves `key`'s slot now ('' outside a Cluster: one connection, one queue). */
  private nodeOf(key: string): string {
    if (!(this.client instanceof Cluster)) return '';
    return this.client.slots[calculateSlot(key)]?.join(';') ?? '';
  }

  private async flush(node: string, queue: { waiting: Waiting[]; busy: boolean }): Promise<void> {
    queue.busy = true;
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_BATCH);
      const pipeline = this.client.pipeline() as unknown as AppendPipeline;
      for (const { args } of batch) pipeline.gsAppend(...args, '');
      pipeline.wait(this.minReplicas, this.timeoutMs);
      let replies: [Error | null, unknown][];
      try {
        replies = (await pipeline.exec()) ?? [];
      } catch (err) {
        for (const waiting of batch) waiting.reject(err as Error);
        continue;
      }
      const [waitError, replicas] = replies[batch.length] ?? [new Error('no answer to WAIT')];
      const tooFew =
        waitError ??
        ((replicas as number) < this.minReplicas
          ? // Appended on the master, not confirmed: the client sends it again and dedup keeps it once.
            new Error(`${String(replicas)} of ${this.minReplicas} replicas acknowledged the append within ${this.timeoutMs} ms`)
          : undefined);
      batch.forEach((waiting, index) => {
        const [appendError, reply] = replies[index] ?? [new Error('no answer to the append')];
        if (appendError) waiting.reject(appendError);
        else if (tooFew) waiting.reject(tooFew);
        else waiting.resolve(reply as AppendReply);
      });
    }
    queue.busy = false;
    this.queues.delete(node);
  }
}
