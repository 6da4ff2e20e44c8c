import { randomBytes } from 'node:crypto';

/**
 * A masked text frame as a client puts it on the wire (RFC 6455 §5.2), for tests that need
 * several frames in one TCP write, or more of them than a WebSocket library would queue.
 */
export function clientTextFrame(text: string): Buffer {
  return clientFrame(0x1, Buffer.from(text, 'utf8'));
}

/** A masked ping frame, as `clientTextFrame`. */
export function clientPingFrame(): Buffer {
  return clientFrame(0x9, Buffer.alloc(0));
}

/** An unsolicited, empty pong, masked as a client must. */
export function clientPongFrame(): Buffer {
  return clientFrame(0xa, Buffer.alloc(0));
}

function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const header =
    length < 126 ? Buffer.from([0x80 | opcode, 0x80 | length]) : Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff]);
  if (length > 0xffff) throw new Error('clientTextFrame: payloads over 64 KiB are not needed here');
  const masked = Buffer.from(payload.map((byte, index) => byte ^ (mask[index % 4] as number)));
  return Buffer.concat([header, mask, masked]);
}
