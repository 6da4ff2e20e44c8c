import { z } from 'zod';

export interface HostPort {
  host: string;
  port: number;
}

/** Credentials and TLS for Sentinel- and Cluster-backed Redis (a standalone URL carries its own). */
export interface RedisAuth {
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** Where the stream backend's Redis is, as the operator runs it: exactly one of three. */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; masterName: string; sentinelPassword: string | undefined; auth: RedisAuth }
  | { kind: 'cluster'; nodes: HostPort[]; auth: RedisAuth };

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/;

/**
 * A comma-separated `host:port` list (`[::1]:26379` for IPv6); undefined when unset. The message
 * names the variable and the first item it could not read.
 */
export function hostListVar(name: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): HostPort[] | undefined => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const hosts: HostPort[] = [];
      for (const item of raw.split(',').map((part) => part.trim())) {
        const match = HOST_PORT.exec(item);
        const port = Number(match?.[3]);
        if (!match || port < 1 || port > 65_535) {
          ctx.addIssue({ code: 'custom', message: `${name} must be a comma-separated list of host:port (got "${item}")` });
          return z.NEVER;
        }
        hosts.push({ host: match[1] ?? match[2]!, port });
      }
      return hosts;
    });
}

/** The environment variables that choose a topology, as the server's schema has parsed them. */
export interface RedisTopologyEnv {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: HostPort[] | undefined;
  REDIS_SENTINEL_MASTER?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: HostPort[] | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_TLS: boolean;
}

const TOPOLOGY_VARS = 'REDIS_URL, REDIS_SENTINELS (with REDIS_SENTINEL_MASTER) or REDIS_CLUSTER_NODES';

/**
 * The one topology the environment names, or the problems that make it ambiguous or incomplete
 * (each a sentence for the operator). `undefined` with no problems: none is configured.
 */
export function readRedisTopology(env: RedisTopologyEnv): { topology: RedisTopology | undefined; problems: string[] } {
  const named = [
    env.REDIS_URL && 'REDIS_URL',
    env.REDIS_SENTINELS && 'REDIS_SENTINELS',
    env.REDIS_CLUSTER_NODES && 'REDIS_CLUSTER_NODES',
  ].filter((name): name is string => typeof name === 'string');
  const problems: string[] = [];
  if (named.length > 1) problems.push(`set exactly one of ${TOPOLOGY_VARS}; got ${named.join(' and ')}`);
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_MASTER?.trim())
    problems.push('REDIS_SENTINEL_MASTER (the master name Sentinel monitors) is required with REDIS_SENTINELS');
  if (!env.REDIS_SENTINELS && env.REDIS_SENTINEL_MASTER) problems.push('REDIS_SENTINEL_MASTER is only read with REDIS_SENTINELS');
  if (env.REDIS_URL && (env.REDIS_USERNAME || env.REDIS_PASSWORD || env.REDIS_TLS)) {
    problems.push(
      'REDIS_USERNAME, REDIS_PASSWORD and REDIS_TLS are for Sentinel and Cluster; with REDIS_URL put them in the URL (rediss://user:password@host:port)',
    );
  }
  if (problems.length > 0) return { topology: undefined, problems };
  const auth: RedisAuth = { username: env.REDIS_USERNAME || undefined, password: env.REDIS_PASSWORD || undefined, tls: env.REDIS_TLS };
  if (env.REDIS_URL) return { topology: { kind: 'standalone', url: env.REDIS_URL }, problems };
  if (env.REDIS_SENTINELS) {
    return {
      topology: {
        kind: 'sentinel',
        sentinels: env.REDIS_SENTINELS,
        masterName: env.REDIS_SENTINEL_MASTER!.trim(),
        sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined,
        auth,
      },
      problems,
    };
  }
  if (env.REDIS_CLUSTER_NODES) return { topology: { kind: 'cluster', nodes: env.REDIS_CLUSTER_NODES, auth }, problems };
  return { topology: undefined, problems };
}

/** Says which Redis the backend talks to, without credentials (for the log). */
export function describeTopology(topology: RedisTopology): string {
  const list = (hosts: HostPort[]): string =>
    hosts.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(',');
  switch (topology.kind) {
    case 'standalone': {
      const url = new URL(topology.url);
      return `standalone ${url.protocol}//${url.host}`;
    }
    case 'sentinel':
      return `sentinel master "${topology.masterName}" via ${list(topology.sentinels)}`;
    case 'cluster':
      return `cluster via ${list(topology.nodes)}`;
  }
}
