// Redis connection options for BullMQ producers and workers and the API's own client: one Redis
// at REDIS_URL, or a Redis Cluster from REDIS_CLUSTER_NODES.
//
// Cluster mode: the options carry the seed nodes, and a BullMQ client factory (installed the
// first time cluster options are made) builds an ioredis `Cluster` for every connection BullMQ
// opens, with the same per-role policy as a single Redis (producers fail fast, workers wait).
// Every Queue and Worker so owns its connections and closes them on close(), exactly as with
// plain options; a shared `Cluster` instance passed as `connection` would be left open by
// BullMQ (caller-owned) and keep a stopping process alive. All keys of all queues carry the
// QUEUE_PREFIX hash tag (`{crosstrust}`), so BullMQ's multi-key scripts stay on one slot.
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { RedisConnection, createIORedisClient, type RedisOptions } from 'bullmq';

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Where Redis is: AppConfig's `redis` group (a plain REDIS_URL string also works). */
export interface RedisTarget {
  readonly url: string;
  readonly clusterNodes?: readonly RedisNode[] | null;
  /** When given with cluster nodes, checked for a {hash tag}. */
  readonly queuePrefix?: string;
}

const CLUSTER_NODES = Symbol.for('crosstrust.redisClusterNodes');

/** ioredis/BullMQ options; in cluster mode they also carry the seed nodes (under a symbol key). */
export type ConnectionOptions = RedisOptions & { [CLUSTER_NODES]?: readonly RedisNode[] };

export function redisOptions(redisUrl: string): RedisOptions {
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname && u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/** The seed nodes when `target` is a cluster, else null. */
export function clusterNodesOf(target: string | RedisTarget): readonly RedisNode[] | null {
  if (typeof target === 'string' || !target.clusterNodes?.length) return null;
  if (target.queuePrefix !== undefined && !/^\{[^{}]+\}/.test(target.queuePrefix)) {
    throw new Error(`QUEUE_PREFIX must start with a {hash tag} in Redis Cluster mode (got "${target.queuePrefix}")`);
  }
  return target.clusterNodes;
}

function base(target: string | RedisTarget): ConnectionOptions {
  const url = typeof target === 'string' ? target : target.url;
  const opts: ConnectionOptions = redisOptions(url);
  const nodes = clusterNodesOf(target);
  if (nodes) {
    installClusterFactory();
    opts[CLUSTER_NODES] = nodes;
  }
  return opts;
}

/** Producers fail fast when Redis is away (the outbox keeps the job); workers wait for it. */
export function producerConnection(target: string | RedisTarget): ConnectionOptions {
  return { ...base(target), enableOfflineQueue: false, maxRetriesPerRequest: 1 };
}

export function workerConnection(target: string | RedisTarget): ConnectionOptions {
  return { ...base(target), maxRetriesPerRequest: null };
}

/**
 * An ioredis client for `opts`: a `Cluster` over the seed nodes when the options carry them
 * (host, port and db are then ignored: a cluster has only db 0), else a plain `Redis`.
 */
export function createRedisClient(opts: ConnectionOptions & { url?: string }): Redis | Cluster {
  const { [CLUSTER_NODES]: nodes, url, ...rest } = opts;
  if (!nodes) return url ? new Redis(url, rest) : new Redis(rest);
  const { host: _host, port: _port, db: _db, retryStrategy, enableOfflineQueue, ...nodeOptions } = rest;
  const clusterOptions: ClusterOptions = {
    // The cluster-level queue is the one a command waits in while slots are unknown (connecting,
    // failover); it follows the role's policy: producers fail fast, workers wait.
    enableOfflineQueue: enableOfflineQueue ?? true,
    redisOptions: { ...nodeOptions, ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }) },
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
  };
  return new Cluster(
    nodes.map((n) => ({ host: n.host, port: n.port })),
    clusterOptions,
  );
}

const clusterAwareFactory = (opts: RedisOptions) => createIORedisClient(createRedisClient(opts as ConnectionOptions));

/**
 * BullMQ calls RedisConnection.clientFactory for every connection it opens from options. Ours
 * builds a Cluster for cluster options and, for any other options, the same plain ioredis client
 * BullMQ would have built itself.
 */
function installClusterFactory(): void {
  if (RedisConnection.clientFactory === clusterAwareFactory) return;
  if (RedisConnection.clientFactory) throw new Error('another BullMQ RedisConnection.clientFactory is installed; Redis Cluster mode needs its own');
  RedisConnection.clientFactory = clusterAwareFactory;
}
