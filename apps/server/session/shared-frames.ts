import * as wsExports from 'ws';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

/**
 * ws's own framing (`Sender.frame`: a named export of ws, and what Socket.IO's broadcast uses),
 * which @types/ws does not declare.
 */
const { Sender } = wsExports as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };
const TEXT: FrameOptions = { fin: true, opcode: 0x01, mask: false, readOnly: true, rsv1: false };

/** Per payload, its WebSocket frame. */
const frames = new WeakMap<Buffer, Buffer>();

/**
 * `payload` (UTF-8 text) as one complete, unmasked WebSocket text frame — header and payload in
 * one buffer — built once however many connections write it, so each write is one buffer to the
 * TCP socket: no per-connection header, and a `write` instead of a two-part `writev`.
 */
export function sharedTextFrame(payload: Buffer): Buffer {
  let frame = frames.get(payload);
  if (frame === undefined) {
    frame = Buffer.concat(Sender.frame(payload, TEXT));
    frames.set(payload, frame);
  }
  return frame;
}
