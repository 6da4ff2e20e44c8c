import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess } from '@app/standin';
import { MEMORY_BUDGET, quantityMiB, requiredMemoryMiB } from './memory-budget.js';
import { KUBECTL_MISSING, find, render, type K8sObject } from './render.js';
import { validateObject } from './validate.js';

interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image: string;
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  imagePullPolicy?: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface DeploymentObject extends K8sObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    strategy?: { rollingUpdate?: { maxSurge: number; maxUnavailable: number } };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
        containers: Container[];
      };
    };
  };
}
interface ServiceObject extends K8sObject {
  spec: { type: string; selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] };
}

const OVERLAYS = ['kustomize/base', 'kustomize/overlays/dev', 'kustomize/overlays/prod'] as const;

function container(deployment: DeploymentObject): Container {
  const [first] = deployment.spec.template.spec.containers;
  if (!first) throw new Error(`${deployment.metadata.name} has no container`);
  return first;
}

/** The ConfigMap a container takes its environment from. */
function envOf(objects: K8sObject[], c: Container): Record<string, string> {
  const name = c.envFrom?.find((source) => source.configMapRef)?.configMapRef?.name;
  return find(objects, 'ConfigMap', name).data ?? {};
}

describe.each(OVERLAYS)('%s', (path) => {
  const objects = render(path);
  const server = find<DeploymentObject>(objects, 'Deployment', 'server-deployment');
  const client = find<DeploymentObject>(objects, 'Deployment', 'client-deployment');
  const serverContainer = container(server);
  const serverEnv = envOf(objects, serverContainer);

  it('renders only objects that are valid against the Kubernetes OpenAPI schemas', () => {
    expect(objects.length).toBeGreaterThanOrEqual(7);
    for (const object of objects) validateObject(object);
  });

  it('puts everything in the k8s-graceful-shutdown-test namespace', () => {
    find(objects, 'Namespace', 'k8s-graceful-shutdown-test');
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      expect(`${object.kind}/${object.metadata.name}: ${object.metadata.namespace}`).toBe(
        `${object.kind}/${object.metadata.name}: k8s-graceful-shutdown-test`,
      );
    }
  });

  it('gives the kubelet enough time: grace period > preStop + DRAIN_TIMEOUT_MS from the ConfigMap', () => {
    const preStop = serverContainer.lifecycle?.preStop?.sleep?.seconds;
    const drainSeconds = Number(serverEnv.DRAIN_TIMEOUT_MS) / 1000;
    const shutdownDelaySeconds = Number(serverEnv.SHUTDOWN_DELAY_MS ?? 0) / 1000;
    expect(preStop).toBeGreaterThan(0);
    expect(drainSeconds).toBeGreaterThan(0);
    expect(server.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStop! + shutdownDelaySeconds + drainSeconds);
    expect(Number(serverEnv.MAX_WORK_MS)).toBeLessThan(Number(serverEnv.DRAIN_TIMEOUT_MS));
  });

  it('agrees on the port between Service, container and PORT', () => {
    const service = find<ServiceObject>(objects, 'Service', 'server-service');
    const port = serverContainer.ports?.find((p) => p.name === service.spec.ports[0]?.targetPort);
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports[0]?.port).toBe(8080);
    expect(port?.containerPort).toBe(Number(serverEnv.PORT));
    expect(service.spec.selector).toEqual(server.spec.template.metadata.labels);
    for (const probe of [serverContainer.readinessProbe, serverContainer.livenessProbe, serverContainer.startupProbe]) {
      expect(probe?.httpGet.port).toBe(port?.name);
    }
    expect(envOf(objects, container(client)).SERVER_URL).toBe('ws://server-service:8080/ws');
  });

  it('takes a terminating pod out of the Service on the first failed readiness probe', () => {
    expect(serverContainer.readinessProbe?.failureThreshold).toBe(1);
    expect(serverContainer.readinessProbe?.periodSeconds).toBeLessThanOrEqual(2);
  });

  it('rolls out with maxSurge 1 and maxUnavailable 0', () => {
    expect(server.spec.strategy?.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('runs both apps from one image as non-root, read-only, unprivileged, with resources set', () => {
    expect(container(client).image).toBe(serverContainer.image);
    for (const deployment of [server, client]) {
      const pod = deployment.spec.template.spec;
      const c = container(deployment);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile?.type).toBe('RuntimeDefault');
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
    }
  });

  it('sizes the server memory limit for MAX_CONNECTIONS at the measured per-connection cost, and for HISTORY_MAX_BYTES on the memory backend', () => {
    const maxConnections = Number(serverEnv.MAX_CONNECTIONS);
    const maxInFlight = Number(serverEnv.MAX_IN_FLIGHT);
    expect(maxConnections).toBeGreaterThan(0);
    expect(maxInFlight).toBeGreaterThan(0);
    const limit = quantityMiB(serverContainer.resources?.limits?.memory ?? '0');
    // History counts where the process holds it: the memory backend (the server's default).
    const memoryBackend = (serverEnv.STREAM_BACKEND ?? 'memory') === 'memory';
    const historyMaxBytes = memoryBackend ? Number(serverEnv.HISTORY_MAX_BYTES) : 0;
    expect(Number.isInteger(historyMaxBytes)).toBe(true);
    expect(limit).toBeGreaterThanOrEqual(requiredMemoryMiB({ maxConnections, maxInFlight, historyMaxBytes }));
    // Old space and young generation capped so that V8 collects before the resident set reaches
    // the limit (why both, with the measured peaks: MEMORY_BUDGET.semiSpaceMiB).
    const oldSpaceMiB = Number(/--max-old-space-size=(\d+)/.exec(serverEnv.NODE_OPTIONS ?? '')?.[1]);
    const semiSpaceMiB = Number(/--max-semi-space-size=(\d+)/.exec(serverEnv.NODE_OPTIONS ?? '')?.[1]);
    expect(semiSpaceMiB).toBeLessThanOrEqual(MEMORY_BUDGET.semiSpaceMiB);
    expect(oldSpaceMiB + MEMORY_BUDGET.beyondOldSpaceMiB).toBeLessThanOrEqual(limit);
    // …and never below what the formula's live data needs beside the rest.
    expect(oldSpaceMiB).toBeGreaterThanOrEqual(requiredMemoryMiB({ maxConnections, maxInFlight, historyMaxBytes }) - MEMORY_BUDGET.baseMiB);
    // The request is at least the base, so a scheduled pod can start.
    expect(quantityMiB(serverContainer.resources?.requests?.memory ?? '0')).toBeGreaterThanOrEqual(MEMORY_BUDGET.baseMiB);
  });

  it('logs JSON, one object per line, from both apps', () => {
    expect(serverEnv.LOG_FORMAT).toBe('json');
    expect(envOf(objects, container(client)).LOG_FORMAT).toBe('json');
  });

  it('starts node directly with an exec-form command whose entry point the build produces', () => {
    expect(serverContainer.command).toEqual(['node', 'dist/apps/server/main.js']);
    expect(container(client).command).toEqual(['node', 'dist/apps/client/main.js']);
    for (const c of [serverContainer, container(client)]) expect(existsSync(c.command![1]!)).toBe(true);
  });

  it('has a PodDisruptionBudget for the server', () => {
    const pdb = find<K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(objects, 'PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(server.spec.selector.matchLabels);
  });

  it('lets Prometheus scrape both apps: the annotations name a port each container opens', () => {
    const scrape = (deployment: DeploymentObject) => deployment.spec.template.metadata.annotations ?? {};
    expect(scrape(server)).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': serverEnv.PORT,
    });
    const clientContainer = container(client);
    const metricsPort = clientContainer.ports?.find((port) => port.name === 'metrics')?.containerPort;
    expect(scrape(client)).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': String(metricsPort),
    });
    expect(envOf(objects, clientContainer).METRICS_PORT).toBe(String(metricsPort));
  });

  it('points every probe and the scrape at a path the built server really serves, with the status expected', async () => {
    // Values the pod takes from Secrets get a stand-in: a Redis nothing listens on, which readiness must not care about.
    const fromSecrets: Record<string, string> = Object.fromEntries(
      (serverContainer.env ?? []).filter((v) => v.valueFrom?.secretKeyRef).map((v) => [v.name, 'redis://127.0.0.1:1']),
    );
    // A whole Secret read as variables (the Redis one) names its Redis the simplest way.
    if (serverContainer.envFrom?.some((source) => source.secretRef)) fromSecrets.REDIS_URL = 'redis://127.0.0.1:1';
    // So does a key set mounted from a Secret: one freshly generated public key.
    const dir = mkdtempSync(join(tmpdir(), 'probe-'));
    if (serverEnv.AUTH_JWKS_FILE !== undefined) {
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
      fromSecrets.AUTH_JWKS_FILE = join(dir, 'jwks.json');
      writeFileSync(fromSecrets.AUTH_JWKS_FILE, JSON.stringify({ keys: [jwk] }));
    }
    let running: ServerProcess | undefined;
    try {
      running = await ServerProcess.start({ ...serverEnv, ...fromSecrets, PORT: '0' });
      const scrapePath = server.spec.template.metadata.annotations?.['prometheus.io/path'];
      for (const path of [serverContainer.readinessProbe, serverContainer.livenessProbe, serverContainer.startupProbe]
        .map((probe) => probe!.httpGet.path)
        .concat(scrapePath!)) {
        const response = await fetch(`${running.httpUrl}${path}`);
        expect(`${path} ${response.status}`).toBe(`${path} 200`);
      }
    } finally {
      await running?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('overlays', () => {
  it('dev runs the stream backend on an in-cluster Redis: pinned, non-root, read-only, probed, reachable at REDIS_URL', () => {
    const objects = render('kustomize/overlays/dev');
    const redis = find<DeploymentObject>(objects, 'Deployment', 'redis');
    const service = find<ServiceObject>(objects, 'Service', 'redis');
    const c = container(redis);
    const env = envOf(objects, container(find<DeploymentObject>(objects, 'Deployment', 'server-deployment')));
    const url = new URL(env.REDIS_URL!);
    expect(env.STREAM_BACKEND).toBe('redis');
    expect(`${url.hostname}:${url.port}`).toBe(`${service.metadata.name}:${service.spec.ports[0]?.port}`);
    expect(service.spec.selector).toEqual(redis.spec.template.metadata.labels);
    expect(c.image).toMatch(/^redis:\d+\.\d+\.\d+/);
    expect(redis.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.readinessProbe).toBeDefined();
    expect(c.livenessProbe).toBeDefined();
    expect(Object.keys(c.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
  });

  it('prod expects a managed Redis of any topology: named by a Secret, never in the ConfigMap, confirmed by a replica, egress to it allowed', () => {
    const objects = render('kustomize/overlays/prod');
    const c = container(find<DeploymentObject>(objects, 'Deployment', 'server-deployment'));
    const env = envOf(objects, c);
    expect(env.STREAM_BACKEND).toBe('redis');
    expect(env.PUBLISH_MIN_REPLICAS).toBe('1');
    // Whichever topology the operator runs, it and its credentials come from the Secret alone.
    for (const name of [
      'REDIS_URL',
      'REDIS_SENTINELS',
      'REDIS_SENTINEL_MASTER',
      'REDIS_CLUSTER_NODES',
      'REDIS_PASSWORD',
      'REDIS_SENTINEL_PASSWORD',
    ]) {
      expect(`${name}=${env[name]}`).toBe(`${name}=undefined`);
    }
    expect(c.envFrom?.map((source) => source.secretRef?.name).filter(Boolean)).toEqual(['server-redis']);
    expect(c.envFrom?.some((source) => source.configMapRef?.name.startsWith('server-env'))).toBe(true);
    expect(objects.some((object) => object.kind === 'Deployment' && object.metadata.name === 'redis')).toBe(false);
    const policy = find<K8sObject & { spec: { policyTypes: string[]; egress: { ports: { protocol: string; port: number }[] }[] } }>(
      objects,
      'NetworkPolicy',
    );
    const allowed = policy.spec.egress.flatMap((rule) => rule.ports.map((port) => `${port.protocol}/${port.port}`));
    expect(policy.spec.policyTypes).toContain('Egress');
    expect(allowed).toEqual(expect.arrayContaining(['UDP/53', 'TCP/53', 'TCP/6379', 'TCP/26379']));
  });

  it('prod checks access tokens: the key set mounted read-only from a Secret, the client token from a Secret', () => {
    const objects = render('kustomize/overlays/prod');
    const server = find<
      DeploymentObject & { spec: { template: { spec: { volumes?: { name: string; secret?: { secretName: string } }[] } } } }
    >(objects, 'Deployment', 'server-deployment');
    const c = container(server) as Container & { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] };
    const env = envOf(objects, c);
    const mount = c.volumeMounts?.find((candidate) => env.AUTH_JWKS_FILE?.startsWith(`${candidate.mountPath}/`));
    expect(mount).toMatchObject({ readOnly: true });
    expect(server.spec.template.spec.volumes?.find((volume) => volume.name === mount?.name)?.secret?.secretName).toBe('server-auth');
    expect(env.AUTH_JWT_SECRET).toBeUndefined();
    const client = container(find<DeploymentObject>(objects, 'Deployment', 'client-deployment'));
    expect(client.env?.find((variable) => variable.name === 'AUTH_TOKEN')?.valueFrom?.secretKeyRef).toEqual({
      name: 'client-auth',
      key: 'AUTH_TOKEN',
    });
  });

  it('dev pulls the re-pushed :dev image every time and logs at debug', () => {
    const objects = render('kustomize/overlays/dev');
    const c = container(find<DeploymentObject>(objects, 'Deployment', 'server-deployment'));
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.image).toMatch(/:dev$/);
    expect(envOf(objects, c).LOG_LEVEL).toBe('debug');
  });

  it('prod pins the image, runs more replicas with longer delays, restricts ingress and autoscales', () => {
    const objects = render('kustomize/overlays/prod');
    const base = render('kustomize/base');
    const server = find<DeploymentObject>(objects, 'Deployment', 'server-deployment');
    const baseServer = find<DeploymentObject>(base, 'Deployment', 'server-deployment');
    const image = container(server).image;
    expect(image).toMatch(/:[\w.-]+$/);
    expect(image).not.toMatch(/:latest$/);
    expect(server.spec.replicas).toBeGreaterThan(baseServer.spec.replicas);
    expect(container(server).lifecycle?.preStop?.sleep?.seconds).toBeGreaterThan(
      container(baseServer).lifecycle?.preStop?.sleep?.seconds ?? Infinity,
    );
    type Peer = { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: { matchLabels: Record<string, string> } };
    const policy = find<
      K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { from: Peer[]; ports: { port: number }[] }[] } }
    >(objects, 'NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual({ app: 'server' });
    // The client pods, and Prometheus from the monitoring namespace (the scrape), on the server port only.
    expect(policy.spec.ingress.flatMap((rule) => rule.from)).toEqual([
      { podSelector: { matchLabels: { app: 'client' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    expect(policy.spec.ingress.flatMap((rule) => rule.ports.map(({ port }) => port))).toEqual([
      Number(envOf(objects, container(server)).PORT),
    ]);
    const hpa = find<K8sObject & { spec: { scaleTargetRef: { name: string }; minReplicas: number } }>(objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef.name).toBe('server-deployment');
    expect(hpa.spec.minReplicas).toBe(server.spec.replicas);
  });

  it.each(OVERLAYS)('%s/kustomization.yaml uses labels and patches, not deprecated fields', async (path) => {
    const text = await readFile(`${path}/kustomization.yaml`, 'utf8');
    expect(text).not.toMatch(/^(commonLabels|patchesStrategicMerge|patchesJson6902|bases|vars):/m);
  });
});

describe('the Prometheus Operator component', () => {
  const objects = render('test/deploy/fixtures/prod-with-prometheus-operator');
  type PodMonitorObject = K8sObject & {
    spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] };
  };
  const monitors = objects.filter((object): object is PodMonitorObject => object.kind === 'PodMonitor');

  it('adds valid PodMonitors for the server and the client to an overlay', () => {
    for (const object of objects) validateObject(object);
    expect(monitors.map((monitor) => monitor.metadata.name).sort()).toEqual(['client', 'server']);
  });

  it("ships the Grafana dashboard as a ConfigMap that Grafana's sidecar loads by label", async () => {
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.labels?.grafana_dashboard === '1');
    const json = await readFile('kustomize/components/prometheus-operator/grafana-dashboard.json', 'utf8');
    expect(configMap?.data).toEqual({ 'k8s-graceful-shutdown.json': json });
  });

  it('scrapes /metrics on a named port of the pods each PodMonitor selects', () => {
    for (const monitor of monitors) {
      const deployment = objects.find(
        (object): object is DeploymentObject =>
          object.kind === 'Deployment' &&
          Object.entries(monitor.spec.selector.matchLabels).every(
            ([key, value]) => (object as DeploymentObject).spec.template.metadata.labels[key] === value,
          ),
      );
      const ports = container(deployment!).ports?.map((port) => port.name);
      for (const endpoint of monitor.spec.podMetricsEndpoints) {
        expect(ports).toContain(endpoint.port);
        expect(endpoint.path).toBe('/metrics');
      }
    }
  });
});

describe('schema validation', () => {
  it('rejects an object that breaks the schema', () => {
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: { replicas: 'two', selector: {}, template: {} },
    };
    expect(() => validateObject(broken as K8sObject)).toThrow(/Deployment\/broken: .*replicas must be integer/);
  });
});

describe('rendering without kubectl', () => {
  it('fails with the promised message, not a bare ENOENT', () => {
    expect(() => render('kustomize/base', 'kubectl-not-installed-here')).toThrow(KUBECTL_MISSING);
  });
});
