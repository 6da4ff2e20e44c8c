import { SUBPROTOCOL, frameText, parseServerFrame, type JsonSubprotocol, type ServerMessage } from '@app/protocol';
import WebSocket from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A WebSocket client for tests that records every frame in order and lets a test wait for the
 * next one that matches, without sleeping.
 */
export class FrameRecorder<Frame = ServerMessage> {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  private cursor = 0;
  private wake: (() => void) | undefined;

  constructor(
    readonly socket: WebSocket,
    private readonly decode: (text: string) => Frame,
  ) {
    socket.on('message', (data: Buffer) => {
      this.frames.push(this.decode(frameText(data)));
      this.wake?.();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake?.();
      }),
    );
    socket.on('error', () => undefined);
  }

  /** A `graceful.v2` client (or `protocol`) whose frames are validated as they arrive. */
  static async json(url: string, options: WebSocket.ClientOptions = {}, protocol: JsonSubprotocol = SUBPROTOCOL): Promise<FrameRecorder> {
    const recorder = new FrameRecorder(new WebSocket(url, protocol, options), (text) => {
      const parsed = parseServerFrame(text);
      if (!parsed.ok) throw new Error(`invalid server frame ${text}: ${parsed.error.message}`);
      return parsed.message;
    });
    await recorder.opened();
    return recorder;
  }

  /** A client with no subprotocol, as the original Go client connects. */
  static async text(url: string): Promise<FrameRecorder<string>> {
    const recorder = new FrameRecorder(new WebSocket(url), (text) => text);
    await recorder.opened();
    return recorder;
  }

  opened(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      this.socket.once('error', reject);
    });
  }

  /** The next frame not yet taken that satisfies `match`; frames before it are skipped. */
  next<Match extends Frame>(match: (frame: Frame) => frame is Match): Promise<Match>;
  next(match?: (frame: Frame) => boolean): Promise<Frame>;
  async next(match: (frame: Frame) => boolean = () => true): Promise<Frame> {
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++] as Frame;
        if (match(frame)) return frame;
      }
      if (this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(`socket closed while waiting; frames: ${JSON.stringify(this.frames)}`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }
}

/** Acks the close marker the moment it arrives, as a well-behaved client does. */
export function ackCloseMarker(client: FrameRecorder): void {
  client.socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as ServerMessage;
    if (frame.type === 'close') client.send({ type: 'ack', seq: frame.lastSeq });
  });
}

export function ofType<T extends ServerMessage['type']>(type: T) {
  return (frame: ServerMessage): frame is Extract<ServerMessage, { type: T }> => frame.type === type;
}
