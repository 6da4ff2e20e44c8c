import type { TcpForwarder } from '../tcp-forwarder.js';
import type { ClusterRecorder } from './cluster-recorder.js';
import { EndpointsController } from './endpoints-controller.js';
import { ServerPod, podSuffix, type Termination } from './server-pod.js';

export interface DeploymentSpec {
  name: string;
  replicas: number;
  env: Record<string, string>;
  probePeriodMs: number;
  preStopMs: number;
  gracePeriodMs: number;
}

/**
 * A Deployment of server pods behind a Service. Like a ReplicaSet it replaces a deleted or
 * crashed pod at once; a rolling update surges one new pod, waits for it to be ready, then
 * deletes one old pod (`maxSurge: 1, maxUnavailable: 0`).
 */
export class Deployment {
  readonly pods: ServerPod[] = [];
  private templateHash = podSuffix(10);
  /** Desired replicas: the spec's, until `kubectl scale`. */
  replicas: number;

  constructor(
    private readonly spec: DeploymentSpec,
    private readonly service: TcpForwarder,
    private readonly endpoints: EndpointsController,
    private readonly timeline: ClusterRecorder,
  ) {
    this.replicas = spec.replicas;
  }

  /** Pods not being deleted and still running. */
  live(): ServerPod[] {
    return this.pods.filter((pod) => !pod.deleting && pod.process.running);
  }

  /** Creates the replicas; resolves once all are ready and listed in the Service. */
  async scaleUp(): Promise<void> {
    const created = await Promise.all(Array.from({ length: this.replicas }, () => this.createPod()));
    await Promise.all(created.map((pod) => pod.whenReady()));
    await this.endpoints.whenListed(created);
  }

  /** The live pod holding the most connections through the Service. */
  busiest(): ServerPod {
    const active = this.service.activeConnections();
    const [first, ...rest] = this.live();
    if (!first) throw new Error('no live pod');
    return rest.reduce((best, pod) => ((active.get(pod.name) ?? 0) > (active.get(best.name) ?? 0) ? pod : best), first);
  }

  /** `kubectl delete pod`: the replacement is created at once; resolves when the old pod is gone. */
  async deletePod(pod: ServerPod): Promise<{ termination: Termination; replacement: ServerPod }> {
    const termination = this.terminate(pod);
    const replacement = await this.createPod();
    return { termination: await termination, replacement };
  }

  /** SIGKILL a pod; the ReplicaSet replaces it. */
  async crashPod(pod: ServerPod): Promise<ServerPod> {
    await pod.crash();
    return this.createPod();
  }

  /** The environment new pods get. */
  get env(): Record<string, string> {
    return this.spec.env;
  }

  /** `kubectl set env` and the rollout it starts: new pods get `env`, and every pod is replaced. */
  rollOut(env: Record<string, string>, onStep: (step: number, of: number) => void): Promise<Termination[]> {
    this.spec.env = { ...env };
    return this.rollingUpdate(onStep);
  }

  /** Replaces every pod with one of a new template, one at a time. Resolves when all old pods are gone. */
  async rollingUpdate(onStep: (step: number, of: number) => void): Promise<Termination[]> {
    const old = this.live();
    this.templateHash = podSuffix(10);
    const terminations: Promise<Termination>[] = [];
    for (const [index, pod] of old.entries()) {
      terminations.push((await this.rollStep(pod)).termination);
      onStep(index + 1, old.length);
    }
    return Promise.all(terminations);
  }

  /**
   * One step of a rolling update: a new pod surges, and once it is ready `pod` is deleted.
   * Resolves when the deletion has started, with its termination (wrapped, or awaiting the step
   * would wait for the whole drain).
   */
  async rollStep(pod: ServerPod): Promise<{ termination: Promise<Termination> }> {
    const surge = await this.createPod();
    await surge.whenReady();
    return { termination: this.terminate(pod) };
  }

  /** `kubectl scale --replicas=+1`: resolves once the new pod is ready and listed. */
  async scaleOut(): Promise<ServerPod> {
    this.replicas++;
    const pod = await this.createPod();
    await pod.whenReady();
    await this.endpoints.whenListed([pod]);
    return pod;
  }

  /** `kubectl scale --replicas=-1`, the controller choosing `pod`: deleted, not replaced. */
  scaleIn(pod: ServerPod): Promise<Termination> {
    this.replicas--;
    return this.terminate(pod);
  }

  /** Stops every pod (end of the drill). */
  async teardown(): Promise<void> {
    this.endpoints.stop();
    await Promise.all(this.pods.map((pod) => pod.process.kill()));
  }

  private async createPod(): Promise<ServerPod> {
    const name = `${this.spec.name}-${this.templateHash}-${podSuffix(5)}`;
    const pod = new ServerPod(name, this.spec.env, this.timeline, this.spec.probePeriodMs, (changed) => this.endpoints.update(changed));
    this.pods.push(pod);
    await pod.start();
    return pod;
  }

  private terminate(pod: ServerPod): Promise<Termination> {
    const termination = pod.delete(this.spec.preStopMs, this.spec.gracePeriodMs);
    this.endpoints.update(pod);
    return termination;
  }
}
