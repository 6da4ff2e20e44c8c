/** The shapes `ws` delivers a message in, depending on the socket's `binaryType`. */
export type FrameData = Buffer | ArrayBuffer | Buffer[];

/** Decodes a received frame as UTF-8 text. */
export function frameText(data: FrameData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
