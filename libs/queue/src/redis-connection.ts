// Redis connection options for BullMQ producers and workers, from REDIS_URL.
import type { RedisOptions } from 'bullmq';

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

/** Producers fail fast when Redis is away (the outbox keeps the job); workers wait for it. */
export function producerConnection(redisUrl: string): RedisOptions {
  return { ...redisOptions(redisUrl), enableOfflineQueue: false, maxRetriesPerRequest: 1 };
}

export function workerConnection(redisUrl: string): RedisOptions {
  return { ...redisOptions(redisUrl), maxRetriesPerRequest: null };
}
