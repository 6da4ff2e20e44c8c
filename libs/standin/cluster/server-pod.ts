import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerProcess } from '../app-processes.js';
import type { Exit } from '../node-process.js';
import type { ClusterRecorder } from './cluster-recorder.js';

/** What a pod deletion took, as the kubelet would see it. */
export interface Termination {
  pod: string;
  preStopMs: number;
  /** SIGTERM → process exit. */
  sigtermToExitMs: number;
  /** Deletion → process exit: what `kubectl delete pod` waits for. */
  totalMs: number;
  exit: Exit;
  killed: boolean;
}

/** Random lower-case alphanumerics, as Kubernetes uses in generated names. */
export function podSuffix(length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/**
 * A server replica: a real server process with its own port and a pod-like name, probed for
 * readiness, and deleted the way the kubelet does it (preStop, SIGTERM, SIGKILL at the grace
 * period).
 */
export class ServerPod {
  readonly process: ServerProcess;
  port = 0;
  ready = false;
  deleting = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private markReady: () => void = () => undefined;
  private readonly becameReady = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    readonly name: string,
    env: Record<string, string>,
    private readonly timeline: ClusterRecorder,
    private readonly probePeriodMs: number,
    private readonly onReadinessChange: (pod: ServerPod) => void,
  ) {
    this.process = ServerProcess.spawn({ ...env, PORT: '0', SERVER_ID: name });
    timeline.record('pod-created', { pod: name });
    void this.process.exited.then((exit) => {
      clearInterval(this.probeTimer);
      this.timeline.record('pod-exited', { pod: name, detail: JSON.stringify(exit) }, this.process.exitedAt);
      this.setReady(false);
    });
  }

  /** Waits for the server to listen, then probes `/health/ready` every probe period. */
  async start(): Promise<void> {
    this.port = await this.process.listening();
    this.probeTimer = setInterval(() => void this.probe(), this.probePeriodMs);
    await this.probe();
  }

  /** Resolves once the readiness probe has passed; rejects if the process exits first. */
  whenReady(): Promise<void> {
    const exited = this.process.exited.then(() => {
      throw new Error(`${this.name} exited before it became ready`);
    });
    return Promise.race([this.becameReady, exited]);
  }

  /** The kubelet's deletion: preStop sleep, SIGTERM, SIGKILL once the grace period (from deletion) is over. */
  async delete(preStopMs: number, gracePeriodMs: number): Promise<Termination> {
    this.deleting = true;
    const deletedAt = Date.now();
    this.timeline.record('pod-deleted', { pod: this.name });
    await sleep(Math.min(preStopMs, gracePeriodMs));
    const sigtermAt = Date.now();
    this.timeline.record('pod-sigterm', { pod: this.name });
    this.process.signal('SIGTERM');
    const graceLeftMs = Math.max(0, gracePeriodMs - (sigtermAt - deletedAt));
    const killTimer = setTimeout(() => {
      this.timeline.record('pod-sigkill', { pod: this.name, detail: 'grace period over' });
      this.process.signal('SIGKILL');
    }, graceLeftMs);
    const exit = await this.process.exited;
    clearTimeout(killTimer);
    const exitedAt = this.process.exitedAt ?? Date.now();
    return {
      pod: this.name,
      preStopMs: sigtermAt - deletedAt,
      sigtermToExitMs: exitedAt - sigtermAt,
      totalMs: exitedAt - deletedAt,
      exit,
      killed: exit.signal === 'SIGKILL',
    };
  }

  /** A crash: SIGKILL with no warning, as an OOM kill or a node failure. */
  async crash(): Promise<Exit> {
    this.timeline.record('pod-sigkill', { pod: this.name, detail: 'crash' });
    return this.process.kill();
  }

  private async probe(): Promise<void> {
    if (!this.process.running) return;
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/health/ready`, {
        signal: AbortSignal.timeout(this.probePeriodMs),
      });
      await response.arrayBuffer();
      this.setReady(response.status === 200);
    } catch {
      this.setReady(false);
    }
  }

  private setReady(ready: boolean): void {
    if (ready === this.ready) return;
    this.ready = ready;
    if (ready) {
      this.timeline.record('pod-ready', { pod: this.name });
      this.markReady();
    }
    this.onReadinessChange(this);
  }
}
