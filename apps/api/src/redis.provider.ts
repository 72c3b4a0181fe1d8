// A Redis client for the API's own needs (readiness, the rate limiter); it fails fast while Redis
// is away. With REDIS_CLUSTER_NODES it is an ioredis Cluster (the rate limiter's keys carry the
// QUEUE_PREFIX hash tag, so its MULTI stays on one slot).
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '#config';
import { createRedisClient, producerConnection } from '#queue';

export const REDIS = Symbol('REDIS');
export type RedisClient = Redis | Cluster;

@Injectable()
export class RedisLifecycle implements OnModuleDestroy {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export const redisProviders = [
  {
    provide: REDIS,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => {
      const r = createRedisClient(producerConnection(config.redis));
      r.on('error', () => {}); // readiness reports it; do not crash or spam logs
      return r;
    },
  },
  RedisLifecycle,
];
