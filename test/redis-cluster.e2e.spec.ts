// Redis Cluster mode: a real 3-node cluster on local ports, the connections built from
// REDIS_CLUSTER_NODES as the apps build them, a BullMQ queue and worker round trip with the
// project's prefix and job options, and the API's rate limiter against the cluster.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { Queue, QueueEvents, RedisConnection, Worker, type Job } from 'bullmq';
import { lastValueFrom, of } from 'rxjs';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { ConfigError, loadConfig, type AppConfig } from '#config';
import { createRedisClient, jobOptions, outboxJob, producerConnection, workerConnection } from '#queue';
import { freePort, root } from '../scripts/lib/local-services.mjs';
import { RateLimitInterceptor } from '../apps/api/src/http/rate-limit.interceptor.js';
import { ProducerQueues } from '#queue';

const run = promisify(execFile);
const dir = path.join(root, '.data', 'redis-cluster', String(process.pid));
const servers: ChildProcess[] = [];
let nodes = '';
let config: AppConfig;

const redisServer = process.env.REDIS_SERVER_BIN || 'redis-server';
const redisCli = (() => {
  const sibling = path.join(path.dirname(redisServer), 'redis-cli');
  return path.isAbsolute(redisServer) && existsSync(sibling) ? sibling : 'redis-cli';
})();

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 8_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what} not within ${ms} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function envFor(extra: Record<string, string>): Record<string, string> {
  return { NODE_ENV: 'test', DATABASE_URL: 'postgresql://u@127.0.0.1:5432/unused', ...extra };
}

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ports: number[] = [];
  // A data port and an explicit cluster-bus port per node (the default, port + 10000, may be taken or out of range);
  // freePort never gives one process the same port twice.
  while (ports.length < 6) ports.push(await freePort());
  for (let i = 0; i < 3; i++) {
    const [port, bus] = [ports[i], ports[i + 3]];
    const child = spawn(
      redisServer,
      [
        '--port',
        String(port),
        '--cluster-port',
        String(bus),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    servers.push(child);
  }
  const data = ports.slice(0, 3);
  for (const p of data) await until(`redis-server on ${p}`, async () => (await run(redisCli, ['-p', String(p), 'ping'])).stdout.includes('PONG'));
  await run(redisCli, ['--cluster', 'create', ...data.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (const p of data)
    await until(`cluster state ok on ${p}`, async () => (await run(redisCli, ['-p', String(p), 'cluster', 'info'])).stdout.includes('cluster_state:ok'));
  nodes = data.map((p) => `127.0.0.1:${p}`).join(',');
  config = loadConfig(envFor({ REDIS_CLUSTER_NODES: nodes, QUEUE_PREFIX: '{crosstrust}', RATE_LIMIT_PER_MINUTE: '3' }));
}, 20_000);

afterAll(async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.exitCode !== null || s.signalCode !== null) return resolve();
          s.once('exit', () => resolve());
          s.kill('SIGTERM');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
  // The cluster-aware BullMQ client factory is process-wide; leave BullMQ as other suites expect it.
  RedisConnection.clientFactory = undefined;
});

describe('Redis Cluster mode (REDIS_CLUSTER_NODES)', () => {
  it('reads the nodes, defaults REDIS_URL, and refuses a prefix without a hash tag', () => {
    expect(config.redis.clusterNodes).toHaveLength(3);
    expect(config.redis.clusterNodes![0]).toEqual({ host: '127.0.0.1', port: Number(nodes.split(',')[0].split(':')[1]) });
    expect(config.redis.url).toBe(`redis://${nodes.split(',')[0]}`);
    expect(loadConfig(envFor({ REDIS_CLUSTER_NODES: '[::1]:7000, redis-a:7001', REDIS_URL: 'rediss://u:p@redis-a:7001' })).redis.clusterNodes).toEqual([
      { host: '::1', port: 7000 },
      { host: 'redis-a', port: 7001 },
    ]);
    expect(() => loadConfig(envFor({ REDIS_CLUSTER_NODES: nodes, QUEUE_PREFIX: 'crosstrust' }))).toThrow(
      /QUEUE_PREFIX must start with a \{hash tag\} when REDIS_CLUSTER_NODES is set/,
    );
    expect(() => loadConfig(envFor({ REDIS_CLUSTER_NODES: 'redis-a,redis-b:99999', REDIS_URL: 'redis://x' }))).toThrow(ConfigError);
    expect(() => producerConnection({ ...config.redis, queuePrefix: 'no-tag' })).toThrow(/hash tag/);
  });

  it('builds ioredis Cluster clients with the role policies, and a plain Redis without the nodes', async () => {
    const producer = createRedisClient(producerConnection(config.redis));
    const worker = createRedisClient(workerConnection(config.redis));
    try {
      expect(producer).toBeInstanceOf(Cluster);
      expect(worker).toBeInstanceOf(Cluster);
      const p = producer as Cluster;
      expect(p.options.enableOfflineQueue).toBe(false);
      expect(p.options.redisOptions).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      expect((worker as Cluster).options.redisOptions).toMatchObject({ maxRetriesPerRequest: null });
      await until('cluster client ready', async () => (await producer.ping()) === 'PONG');
      expect(await p.cluster('INFO')).toContain('cluster_known_nodes:3');
    } finally {
      producer.disconnect();
      worker.disconnect();
    }
    const plain = createRedisClient({ ...producerConnection('redis://127.0.0.1:1'), lazyConnect: true });
    expect(plain).not.toBeInstanceOf(Cluster);
    plain.disconnect();
  });

  it('runs BullMQ jobs through the cluster with the project prefix and job options', async () => {
    const prefix = config.redis.queuePrefix;
    const queue = new Queue('workflow', { connection: producerConnection(config.redis), prefix });
    // Read the events stream from its start: a QueueEvents reads from `$` by default, once its
    // connection has named itself, so a job that completes before that first read would be missed
    // (its waitUntilFinished had already found it unfinished). Seen once under a loaded CI run.
    const events = new QueueEvents('workflow', { connection: workerConnection(config.redis), prefix, lastEventId: '0' });
    const seen: string[] = [];
    const worker = new Worker(
      'workflow',
      async (job: Job) => {
        seen.push(job.id!);
        return { outcome: 'done' };
      },
      { connection: workerConnection(config.redis), prefix, concurrency: 5 },
    );
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
      const client = await queue.getBackend().client;
      expect((client as unknown as { isCluster: boolean }).isCluster).toBe(true);
      const jobs = Array.from({ length: 20 }, (_, i) =>
        outboxJob('referral.screen', { referralId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }, 'identified'),
      );
      const added = await queue.addBulk(jobs.map((j) => ({ name: j.name, data: j.payload, opts: jobOptions(j.name, j.jobId) })));
      // A repeat enqueue of the same deterministic id is a no-op, as with one Redis.
      await queue.add(jobs[0].name, jobs[0].payload, jobOptions(jobs[0].name, jobs[0].jobId));
      const results = await Promise.all(added.map((j) => j.waitUntilFinished(events, 10_000)));
      expect(results).toEqual(jobs.map(() => ({ outcome: 'done' })));
      expect(seen.sort()).toEqual(jobs.map((j) => j.jobId).sort());
      expect(await queue.getJobCounts('completed', 'failed', 'waiting')).toEqual({ completed: 20, failed: 0, waiting: 0 });
      // Every key of the queue sits on the one slot of the hash tag, on one node.
      const c = createRedisClient(workerConnection(config.redis)) as Cluster;
      try {
        const slot = Number(await c.cluster('KEYSLOT', prefix));
        const perNode = await Promise.all(c.nodes('master').map((n) => n.keys(`${prefix}:workflow:*`)));
        const keys = perNode.flat();
        expect(keys.length).toBeGreaterThan(20);
        expect(perNode.filter((k) => k.length > 0)).toHaveLength(1);
        for (const k of keys.slice(0, 10)) expect(Number(await c.cluster('KEYSLOT', k))).toBe(slot);
      } finally {
        c.disconnect();
      }
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
  });

  it("the worker's producer queues enqueue through the cluster and close their connections", async () => {
    const producers = new ProducerQueues({ ...config, redis: { ...config.redis, queuePrefix: '{crosstrust-producers}' } });
    try {
      const q = producers.get('notifications')!;
      await q.waitUntilReady();
      expect(((await q.getBackend().client) as unknown as { isCluster: boolean }).isCluster).toBe(true);
      const j = outboxJob(
        'notification.send',
        { referralId: '00000000-0000-4000-8000-000000000001', notificationId: '00000000-0000-4000-8000-000000000002' },
        'n1',
      );
      await q.add(j.name, j.payload, jobOptions(j.name, j.jobId));
      expect(await q.getJobCounts('waiting')).toEqual({ waiting: 1 });
    } finally {
      // Owned by BullMQ (built by the cluster-aware factory), so closing the queues closes them.
      await producers.onApplicationShutdown();
    }
  });

  it('counts the API rate limit in the cluster', async () => {
    const redis = createRedisClient(producerConnection(config.redis));
    redis.on('error', () => {});
    try {
      // The API's client fails fast (no offline queue): a request before it has connected is let through unchecked.
      await until('cluster client ready', async () => (await redis.ping()) === 'PONG');
      const limiter = new RateLimitInterceptor(redis, config);
      const headers: Record<string, string> = {};
      const ctx = {
        switchToHttp: () => ({
          getRequest: () => ({ caller: { sub: `cluster-${process.pid}` } }),
          // The Fastify reply's header(), all the limiter uses of it.
          getResponse: () => ({ header: (k: string, v: string) => (headers[k] = v) }),
        }),
      } as unknown as ExecutionContext;
      const next: CallHandler = { handle: () => of('ok') };
      for (let i = 0; i < 3; i++) expect(await lastValueFrom(limiter.intercept(ctx, next))).toBe('ok');
      expect(headers['RateLimit-Remaining']).toBe('0');
      await expect(lastValueFrom(limiter.intercept(ctx, next))).rejects.toMatchObject({ status: 429 });
      expect(Number(headers['Retry-After'])).toBeGreaterThan(0);
    } finally {
      await redis.quit();
    }
  });
});
