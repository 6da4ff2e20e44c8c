import { EventEmitter } from 'node:events';
import type { TcpForwarder } from '../tcp-forwarder.js';
import type { ClusterRecorder } from './cluster-recorder.js';
import type { ServerPod } from './server-pod.js';

/**
 * The EndpointSlice controller and kube-proxy together: a pod joins the Service when it is
 * ready and leaves it when it stops being ready or is being deleted — each change reaching the
 * forwarder only after the propagation delay, the window in which a real cluster still sends new
 * connections to a terminating pod.
 */
export class EndpointsController extends EventEmitter<{ changed: [] }> {
  private readonly pending = new Set<NodeJS.Timeout>();
  /** Extra propagation delay while a spike lasts (a slow kube-proxy, an API server under load). */
  private spikeMs = 0;
  private spikeEnd: NodeJS.Timeout | undefined;

  constructor(
    private readonly service: TcpForwarder,
    private readonly propagationMs: number,
    private readonly timeline: ClusterRecorder,
  ) {
    super();
  }

  /** For the next `forMs`, every change takes `extraMs` longer to reach the Service. */
  spike(extraMs: number, forMs: number): void {
    clearTimeout(this.spikeEnd);
    this.spikeMs = extraMs;
    this.spikeEnd = setTimeout(() => (this.spikeMs = 0), forMs);
  }

  /** Resolves once every one of `pods` is listed in the Service. */
  whenListed(pods: ServerPod[]): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        const listed = this.service.endpointIds();
        if (pods.every((pod) => listed.includes(pod.name))) {
          this.off('changed', check);
          resolve();
        }
      };
      this.on('changed', check);
      check();
    });
  }

  /** Called whenever a pod's readiness or deletion state changes. */
  update(pod: ServerPod): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.reconcile(pod);
    }, this.propagationMs + this.spikeMs);
    this.pending.add(timer);
  }

  stop(): void {
    clearTimeout(this.spikeEnd);
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }

  /** Brings the Service in line with the pod's state now: later changes win, as in a controller. */
  private reconcile(pod: ServerPod): void {
    const serving = pod.ready && !pod.deleting;
    const listed = this.service.endpointIds().includes(pod.name);
    if (serving && !listed) {
      this.service.addEndpoint({ id: pod.name, host: '127.0.0.1', port: pod.port });
      this.timeline.record('endpoint-added', { pod: pod.name });
      this.emit('changed');
    } else if (!serving && listed) {
      this.service.removeEndpoint(pod.name);
      this.timeline.record('endpoint-removed', { pod: pod.name });
      this.emit('changed');
    }
  }
}
