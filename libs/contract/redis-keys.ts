/**
 * The Redis key schema of the stream backend: what the server writes and what the drill, the
 * bench and the tests read back. Every key of a channel carries the channel name as its hash tag
 * (`{name}`), so one channel lives in one slot of a Redis Cluster and each script runs on one node.
 */
export const redisKeys = {
  /** The channel's history: a Redis Stream whose entry IDs are `<offset>-0`. */
  stream: (channel: string): string => `gs:{${channel}}:s`,
  /** The channel's state, a hash: see `ChannelMetaField`. */
  meta: (channel: string): string => `gs:{${channel}}:m`,
  /** Where publish `id` was appended (`"<offset> <epoch>"`), for exactly-once appends. */
  dedup: (channel: string, id: string): string => `gs:{${channel}}:id:${id}`,
  /** The pub/sub channel (sharded pub/sub in a Cluster) that carries the channel's live entries. */
  live: (channel: string): string => `gs:{${channel}}:live`,
} as const;

/** Fields of the `meta` hash. */
export const ChannelMetaField = {
  /** The current epoch: offsets are compared only within one. */
  epoch: 'epoch',
  /** The offset counter: the last offset handed out. */
  top: 'top',
  /** The highest offset subscribers may see (below `top` while appends wait for their replicas). */
  committed: 'committed',
  /** The replication ID of the master that last wrote the channel. */
  replicationId: 'rid',
  /** That master's replication offset when it wrote. */
  replicationOffset: 'roff',
  /** The epochs this one continues: `"<epoch> <last shared offset>"` items, `;`-separated, newest first. */
  lineage: 'lineage',
} as const;

/** The `lineage` field read: the epochs the current one continues, newest first, each with its last shared offset. */
export function parseLineage(text: string): { epoch: string; upTo: number }[] {
  if (text === '') return [];
  return text.split(';').map((link) => {
    const space = link.lastIndexOf(' ');
    return { epoch: link.slice(0, space), upTo: Number(link.slice(space + 1)) };
  });
}

/** The live pub/sub channel's name back to the channel's, or undefined for any other name. */
export function channelOfLive(name: string): string | undefined {
  return /^gs:\{(.+)\}:live$/.exec(name)?.[1];
}
