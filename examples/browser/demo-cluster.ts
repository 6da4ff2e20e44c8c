import { Deployment, EndpointsController, IGNORE_CLUSTER_EVENTS, RedisServer, TcpForwarder, type ServerPod } from '@app/standin';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

/** The page's files, from the sources, and the client bundle `npm run build` made. */
const FILES: Record<string, { path: string; type: string }> = {
  '/': { path: resolve('examples/browser/index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { path: resolve('examples/browser/app.js'), type: 'text/javascript; charset=utf-8' },
  '/graceful-client.js': { path: resolve('dist/browser/graceful-client.js'), type: 'text/javascript; charset=utf-8' },
};

/** The channel the page follows and publishes to. */
export const DEMO_CHANNEL = 'demo';

export interface DemoOptions {
  /** Where the page is served (0: any free port). */
  port?: number;
  replicas?: number;
  /** Extra server settings (a short `HEARTBEAT_MS`, say). */
  serverEnv?: Record<string, string>;
  /** Use Redis only when true / never when false; default: when `redis-server` is installed. */
  redis?: boolean;
}

/** What the page reads from `/demo.json`. */
export interface DemoConfig {
  wsUrl: string;
  channel: string;
  /** `redis`, or `memory` with why Redis is not used. */
  backend: string;
}

/**
 * The stand-in cluster behind one address (a Service forwarding to `replicas` server pods,
 * Redis when there is one) and an HTTP server for the example page, with the buttons' actions:
 * roll every pod, kill one.
 */
export class DemoCluster {
  private busy: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly config: DemoConfig,
    readonly deployment: Deployment,
    private readonly page: Server,
    private readonly service: TcpForwarder,
    private readonly redis: RedisServer | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** Where the page is served (once `start` resolved). */
  get pageUrl(): string {
    return `http://127.0.0.1:${(this.page.address() as AddressInfo).port}/`;
  }

  static async start(options: DemoOptions = {}, log: (line: string) => void = () => undefined): Promise<DemoCluster> {
    const service = new TcpForwarder();
    const wsUrl = `ws://127.0.0.1:${await service.listen()}/ws`;
    const endpoints = new EndpointsController(service, 300, IGNORE_CLUSTER_EVENTS);
    let redis: RedisServer | undefined;
    let backend = 'memory (redis not wanted)';
    if (options.redis !== false) {
      try {
        redis = await RedisServer.start();
        backend = 'redis';
      } catch (err) {
        if (options.redis === true) throw err;
        backend = `memory: ${(err as Error).message.split('\n')[0]} — each replica keeps its own history, so a move to another replica is told recovered: false`;
      }
    }
    const env: Record<string, string> = {
      SHUTDOWN_DELAY_MS: '0',
      ...(redis ? { STREAM_BACKEND: 'redis', REDIS_URL: redis.url } : {}),
      ...options.serverEnv,
    };
    const deployment = new Deployment(
      { name: 'demo', replicas: options.replicas ?? 2, env, probePeriodMs: 200, preStopMs: 500, gracePeriodMs: 30_000 },
      service,
      endpoints,
      IGNORE_CLUSTER_EVENTS,
    );
    const config: DemoConfig = { wsUrl, channel: DEMO_CHANNEL, backend };
    const demo = new DemoCluster(config, deployment, createServer(), service, redis, log);
    demo.page.on('request', (request: IncomingMessage, response: ServerResponse) => void demo.serve(request, response));
    try {
      await deployment.scaleUp();
      await new Promise<void>((done, fail) => demo.page.once('error', fail).listen(options.port ?? 0, '127.0.0.1', done));
    } catch (err) {
      // A port in use, a pod that would not start: leave no process behind.
      await demo.stop();
      throw err;
    }
    return demo;
  }

  /** Replaces every pod, one at a time (a rolling update). Resolves when the old ones are gone. */
  roll(): Promise<unknown> {
    return this.serially(async () => {
      this.log('rolling update: replacing every pod, one at a time');
      const terminations = await this.deployment.rollingUpdate((step, of) => this.log(`  pod ${step} of ${of} replaced`));
      for (const { pod, sigtermToExitMs, exit } of terminations)
        this.log(`  ${pod} drained in ${sigtermToExitMs} ms, exit ${exit.code ?? exit.signal}`);
    });
  }

  /** SIGKILLs the busiest pod (its clients fail over); the Deployment replaces it. */
  kill(): Promise<unknown> {
    return this.serially(async () => {
      const pod = this.deployment.busiest();
      this.log(`SIGKILL ${pod.name}`);
      const replacement = await this.deployment.crashPod(pod);
      await replacement.whenReady();
    });
  }

  /** Scales to zero (every pod drains) and resolves once none is left. */
  stopServers(): Promise<unknown> {
    return this.serially(() => Promise.all(this.deployment.live().map((pod) => this.deployment.scaleIn(pod))));
  }

  /** Scales back to `replicas` pods and resolves once they are listed in the Service. */
  async startServers(replicas: number): Promise<ServerPod[]> {
    const pods: ServerPod[] = [];
    await this.serially(async () => {
      for (let index = 0; index < replicas; index++) pods.push(await this.deployment.scaleOut());
    });
    return pods;
  }

  async stop(): Promise<void> {
    await this.busy.catch(() => undefined);
    await new Promise<void>((done) => {
      this.page.close(() => done());
      this.page.closeAllConnections();
    });
    await this.deployment.teardown();
    await this.service.close();
    await this.redis?.stop();
  }

  /** One action at a time: two rolling updates at once would fight over the pods. */
  private serially<T>(action: () => Promise<T>): Promise<T> {
    const next = this.busy.catch(() => undefined).then(action);
    this.busy = next;
    return next;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method === 'POST' && (path === '/roll' || path === '/kill')) {
      // Answered at once: the page watches the update happen through its own connection.
      void (path === '/roll' ? this.roll() : this.kill()).catch((err: Error) => this.log(`${path.slice(1)} failed: ${err.message}`));
      response.writeHead(202).end();
      return;
    }
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    if (path === '/demo.json') {
      const pods = this.deployment.live().map((pod) => ({ name: pod.name, ready: pod.ready }));
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify({ ...this.config, pods }));
      return;
    }
    const file = FILES[path];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    try {
      response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(await readFile(file.path));
    } catch {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`${file.path} is missing: run npm run build`);
    }
  }
}
