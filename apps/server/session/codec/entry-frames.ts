import type { StreamEntry } from '../../streams/backend/stream-backend.js';

/**
 * Per entry object, what its `message` frame is built from: a live entry fanned out to every
 * subscriber of a replica is the same object for all of them, so its payload is serialized once
 * per replica, not once per subscriber. An entry belongs to one channel.
 */
const tails = new WeakMap<StreamEntry, string>();
const frames = new WeakMap<StreamEntry, Buffer>();

/**
 * `graceful.v1`: the fields of the entry's `message` frame after its `seq`
 * (`"channel":…,"offset":…,"id":…,"payload":…}`); each connection prepends its `type` and `seq`.
 */
export function messageTail(channel: string, entry: StreamEntry): string {
  let tail = tails.get(entry);
  if (tail === undefined) {
    tail = JSON.stringify({ channel, offset: entry.offset, id: entry.id, payload: entry.payload }).slice(1);
    tails.set(entry, tail);
  }
  return tail;
}

/**
 * `graceful.v2`: the entry's whole `message` frame, UTF-8 encoded. Nothing in it differs per
 * connection, so every subscriber's socket is handed the same bytes.
 */
export function messageFrame(channel: string, entry: StreamEntry): Buffer {
  let frame = frames.get(entry);
  if (frame === undefined) {
    frame = Buffer.from(JSON.stringify({ type: 'message', channel, offset: entry.offset, id: entry.id, payload: entry.payload }));
    frames.set(entry, frame);
  }
  return frame;
}
