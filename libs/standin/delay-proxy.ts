import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that delays what the target sends by `delayMs`: put between a Redis
 * replica and its master, it makes the replica lag as a slow or distant link does. The bytes
 * wait here, not in the replica (pausing the replica with `DEBUG SLEEP` would not do: the bytes
 * would wait in its socket and apply the moment it wakes). When the target side ends, whatever
 * is still delayed is dropped — what the replica never received, it never has.
 */
export class DelayProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly queues = new Set<DelayQueue>();
  private delay = 0;

  private constructor(readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.forward(client));
  }

  static async start(target: { host: string; port: number }): Promise<DelayProxy> {
    const proxy = new DelayProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get delayMs(): number {
    return this.delay;
  }

  /** From now on, bytes from the target reach the client this much later (0: at once, after what is already waiting). */
  setDelay(ms: number): void {
    this.delay = ms;
  }

  /** Bytes received from the target and not yet passed on. */
  get delayedBytes(): number {
    let bytes = 0;
    for (const queue of this.queues) bytes += queue.bytes;
    return bytes;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    for (const queue of this.queues) queue.drop();
    await closed;
  }

  private forward(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const queue = new DelayQueue(client, () => this.delay);
    this.queues.add(queue);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.once('close', () => this.sockets.delete(socket));
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => queue.push(chunk));
    // The target is gone: what is still delayed is lost with it.
    upstream.once('close', () => {
      queue.drop();
      this.queues.delete(queue);
      client.destroy();
    });
    client.once('close', () => {
      queue.drop();
      this.queues.delete(queue);
      upstream.destroy();
    });
  }
}

/** Chunks in arrival order, each written to `out` once its delay has passed. */
class DelayQueue {
  private readonly chunks: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;
  bytes = 0;

  constructor(
    private readonly out: Socket,
    private readonly delayMs: () => number,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push({ due: performance.now() + this.delayMs(), chunk });
    this.bytes += chunk.length;
    this.flush();
  }

  drop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chunks.length = 0;
    this.bytes = 0;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = performance.now();
    while (this.chunks.length > 0 && this.chunks[0]!.due <= now) {
      const { chunk } = this.chunks.shift()!;
      this.bytes -= chunk.length;
      this.out.write(chunk);
    }
    const next = this.chunks[0];
    if (next) this.timer = setTimeout(() => this.flush(), Math.max(1, Math.ceil(next.due - now)));
  }
}
