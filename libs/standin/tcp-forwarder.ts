import { EventEmitter } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Endpoint {
  /** The pod name, e.g. `server-deployment-7b74b95bb6-gz86f`. */
  id: string;
  host: string;
  port: number;
}

export interface ForwarderEvents {
  /** A new connection was sent to `endpoint`; `active` counts its open connections now. */
  connected: [endpoint: string, active: number];
  disconnected: [endpoint: string, active: number];
  /** A connection arrived while no endpoint was ready: it was reset, as with no endpoints. */
  rejected: [];
}

/**
 * A stand-in for a Kubernetes ClusterIP Service at layer 4, as kube-proxy or Cilium do it: new
 * TCP connections go round-robin to the endpoints currently listed; removing an endpoint only
 * stops *new* connections to it — established ones are never cut, and ending them is the
 * application's job.
 */
export class TcpForwarder extends EventEmitter<ForwarderEvents> {
  private readonly endpoints: Endpoint[] = [];
  private readonly active = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private next = 0;

  constructor() {
    super();
    this.server = createServer((downstream) => this.forward(downstream));
  }

  /** Listens on `port` (0: any free port) and resolves with the port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  addEndpoint(endpoint: Endpoint): void {
    if (!this.endpoints.some((known) => known.id === endpoint.id)) this.endpoints.push(endpoint);
  }

  /** Stops routing new connections to `id`; its established connections carry on. */
  removeEndpoint(id: string): void {
    const index = this.endpoints.findIndex((endpoint) => endpoint.id === id);
    if (index >= 0) this.endpoints.splice(index, 1);
  }

  endpointIds(): string[] {
    return this.endpoints.map((endpoint) => endpoint.id);
  }

  /** Open connections per endpoint, including endpoints already removed. */
  activeConnections(): ReadonlyMap<string, number> {
    return this.active;
  }

  /** Stops listening and cuts whatever is still connected through it. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private pick(): Endpoint | undefined {
    if (this.endpoints.length === 0) return undefined;
    this.next = (this.next + 1) % this.endpoints.length;
    return this.endpoints[this.next];
  }

  private forward(downstream: Socket): void {
    const endpoint = this.pick();
    if (!endpoint) {
      downstream.resetAndDestroy();
      this.emit('rejected');
      return;
    }
    const upstream = connect(endpoint.port, endpoint.host);
    for (const socket of [downstream, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.once('close', () => this.sockets.delete(socket));
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    // An error on one side ends the other, as a reset would through a real proxy.
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    downstream.once('close', () => upstream.destroy());
    upstream.once('close', () => downstream.destroy());

    const count = (this.active.get(endpoint.id) ?? 0) + 1;
    this.active.set(endpoint.id, count);
    this.emit('connected', endpoint.id, count);
    let counted = true;
    const release = (): void => {
      if (!counted) return;
      counted = false;
      const left = (this.active.get(endpoint.id) ?? 1) - 1;
      this.active.set(endpoint.id, left);
      this.emit('disconnected', endpoint.id, left);
    };
    downstream.once('close', release);
  }
}
