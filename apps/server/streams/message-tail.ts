import type { StreamEntry } from './stream-backend.js';

/** Per entry object: its `message` frame's fields after `seq`, encoded. An entry belongs to one channel. */
const tails = new WeakMap<StreamEntry, string>();

/**
 * The fields of a channel `message` frame after its `seq` (`"channel":…,"offset":…,"id":…,
 * "payload":…}`), JSON-encoded once per entry: a live entry fanned out to every subscriber of a
 * replica is the same object for all of them, so its payload is serialized once, not once per
 * subscriber; each connection only prepends its own `type` and `seq`.
 */
export function messageTail(channel: string, entry: StreamEntry): string {
  let tail = tails.get(entry);
  if (tail === undefined) {
    tail = JSON.stringify({ channel, offset: entry.offset, id: entry.id, payload: entry.payload }).slice(1);
    tails.set(entry, tail);
  }
  return tail;
}
